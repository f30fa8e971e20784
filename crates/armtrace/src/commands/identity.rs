//! `armtrace user …` and `armtrace investigation …`: users and their roles, investigations and
//! their members.

use super::Ctx;
use crate::cli::{InvestigationCommand, UserCommand};
use crate::output::{Listing, opt, print};
use std::io::Write;

pub async fn user(cx: &Ctx, cmd: UserCommand) -> anyhow::Result<()> {
    let by = cx.identity()?;
    let app = cx.app().await?;
    let result = match cmd {
        UserCommand::Add { name, role } => app.add_user(&by, &name, &role).await.map(|user| {
            writeln!(
                std::io::stdout(),
                "Added user {} ({}). They act with --as {} or ARMTRACE_USER={}.",
                user.name,
                user.role,
                user.name,
                user.name
            )
        }),
        UserCommand::Disable { name } => app.disable_user(&by, &name).await.map(|user| {
            writeln!(
                std::io::stdout(),
                "Disabled user {}: their history stays, they can no longer act.",
                user.name
            )
        }),
        UserCommand::List(args) => {
            let users = app.users(&by).await;
            app.close().await;
            let users = users?;
            let mut listing = Listing::new(
                vec!["name", "role", "active", "created", "created by"],
                &users,
            )?;
            listing.rows = users
                .iter()
                .map(|u| {
                    vec![
                        u.name.clone(),
                        u.role.to_string(),
                        if u.active { "yes" } else { "no" }.into(),
                        u.created_at.clone(),
                        u.created_by.clone(),
                    ]
                })
                .collect();
            return print(&listing, args.format);
        }
    };
    app.close().await;
    result??;
    Ok(())
}

pub async fn investigation(cx: &Ctx, cmd: InvestigationCommand) -> anyhow::Result<()> {
    let by = cx.identity()?;
    let app = cx.app().await?;
    let result = match cmd {
        InvestigationCommand::Add { name, description } => app
            .add_investigation(&by, &name, description.as_deref())
            .await
            .map(|inv| {
                writeln!(
                    std::io::stdout(),
                    "Created investigation '{}' ({}); members: {}.",
                    inv.name,
                    inv.id,
                    if inv.members.is_empty() {
                        "none yet".to_string()
                    } else {
                        inv.members.join(", ")
                    }
                )
            }),
        InvestigationCommand::AddMember {
            investigation,
            user,
        } => app.add_member(&by, &investigation, &user).await.map(|()| {
            writeln!(
                std::io::stdout(),
                "Added {user} to investigation '{investigation}'."
            )
        }),
        InvestigationCommand::List(args) => {
            let list = app.investigations(&by).await;
            app.close().await;
            let list = list?;
            let mut listing = Listing::new(
                vec!["name", "members", "created", "created by", "description"],
                &list,
            )?;
            listing.rows = list
                .iter()
                .map(|i| {
                    vec![
                        i.name.clone(),
                        i.members.join(", "),
                        i.created_at.clone(),
                        i.created_by.clone(),
                        opt(&i.description),
                    ]
                })
                .collect();
            listing
                .notes
                .push("Only the investigations you are a member of are listed.".into());
            return print(&listing, args.format);
        }
    };
    app.close().await;
    result??;
    Ok(())
}
