//! `armtrace user …` and `armtrace investigation …`: users and their roles, investigations and
//! their members.

use super::{Who, Writer, open, parse_arg};
use crate::cli::{InvestigationCommand, UserCommand};
use crate::output::{Listing, opt, print};
use armtrace_core::access::Role;
use std::io::Write;

pub async fn user(db: Option<String>, who: &Who, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add { name, role } => {
            let role: Role = parse_arg("--role", &role)?;
            let w = Writer::open(db, who, "adding a user").await?;
            let user = w.store.add_user(&w.by, &name, role).await?;
            w.finish().await?;
            writeln!(
                std::io::stdout(),
                "Added user {} ({}). They act with --as {} or ARMTRACE_USER={}.",
                user.name,
                user.role,
                user.name,
                user.name
            )?;
        }
        UserCommand::Disable { name } => {
            let w = Writer::open(db, who, "disabling a user").await?;
            let user = w.store.disable_user(&w.by, &name).await?;
            w.finish().await?;
            writeln!(
                std::io::stdout(),
                "Disabled user {}: their history stays, they can no longer act.",
                user.name
            )?;
        }
        UserCommand::List(args) => {
            let by = who.identity("listing users")?;
            let store = open(db).await?;
            let users = store.users(&by).await;
            store.close().await;
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
            print(&listing, args.format)?;
        }
    }
    Ok(())
}

pub async fn investigation(
    db: Option<String>,
    who: &Who,
    cmd: InvestigationCommand,
) -> anyhow::Result<()> {
    match cmd {
        InvestigationCommand::Add { name, description } => {
            let w = Writer::open(db, who, "creating an investigation").await?;
            let inv = w
                .store
                .add_investigation(&w.by, &name, description.as_deref())
                .await?;
            w.finish().await?;
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
            )?;
        }
        InvestigationCommand::AddMember {
            investigation,
            user,
        } => {
            let w = Writer::open(db, who, "adding a member").await?;
            w.store.add_member(&w.by, &investigation, &user).await?;
            w.finish().await?;
            writeln!(
                std::io::stdout(),
                "Added {user} to investigation '{investigation}'."
            )?;
        }
        InvestigationCommand::List(args) => {
            let by = who.identity("listing investigations")?;
            let store = open(db).await?;
            let list = store.investigations(&by).await;
            store.close().await;
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
            print(&listing, args.format)?;
        }
    }
    Ok(())
}
