//! Where a fact comes from and how far to trust it. Every reference row (model, factory code,
//! embargo) and every imported record keeps its source.

use crate::vocab::vocabulary;
use serde::{Deserialize, Serialize};

vocabulary! {
    "reliability",
    /// How reliable the source of a row is judged to be.
    Reliability {
        /// Official records, peer-reviewed work, museums, the producer's own documents.
        High => "high",
        /// Encyclopaedias and their copies, specialist press.
        Medium => "medium",
        /// Fan wikis, forums, retailers, blogs: a lead, not a finding.
        Low => "low",
        /// Not graded yet.
        Ungraded => "ungraded",
    }
}

/// A citation: what the fact rests on, and how reliable that is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// Free text or URLs separated by " ; ".
    pub citation: String,
    pub reliability: Reliability,
}

/// Hosts whose pages are fan wikis, forums, retailers or blogs: rows resting only on them are
/// graded low.
const LOW_RELIABILITY_HOSTS: &[&str] = &[
    "wikia",
    "fandom",
    "forum",
    "canadiangunnutz",
    "aats-shop",
    "ranyy",
    "wildebeesoutdoor",
    "lexus",
    "bluefire12",
    "super-hobby",
    "syborg3dprinting",
    "dailynk",
    "bazmedia",
    "ksaplayers",
    "mgronline",
    "parrot.ru",
    "ar15.com",
    "thefiringline",
    "blog",
];

/// Hosts of official, museum or peer-reviewed sources.
const HIGH_RELIABILITY_HOSTS: &[&str] = &[
    "museumsvictoria",
    "sipri.org",
    "un.org",
    "armaxjournal",
    "smallarmsreview",
    "muzejniarcheologie",
    "securitycouncilreport",
    "reliefweb",
];

impl SourceRef {
    /// Grades a citation by the weakest kind of host it rests on: if every URL is a fan wiki,
    /// forum or shop it is low; if any is official, museum or peer-reviewed it is high;
    /// otherwise (encyclopaedias and their mirrors, specialist press) medium.
    pub fn graded(citation: &str) -> SourceRef {
        let urls: Vec<String> = citation
            .split(" ; ")
            .map(|u| u.trim().to_ascii_lowercase())
            .filter(|u| !u.is_empty())
            .collect();
        let is = |u: &str, hosts: &[&str]| hosts.iter().any(|h| host_of(u).contains(h));
        let reliability = if urls.is_empty() {
            Reliability::Ungraded
        } else if urls.iter().all(|u| is(u, LOW_RELIABILITY_HOSTS)) {
            Reliability::Low
        } else if urls.iter().any(|u| is(u, HIGH_RELIABILITY_HOSTS)) {
            Reliability::High
        } else {
            Reliability::Medium
        };
        SourceRef {
            citation: citation.trim().to_string(),
            reliability,
        }
    }
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split('/').next().unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_by_host() {
        for (citation, expected) in [
            ("https://en.wikipedia.org/wiki/AK-47", Reliability::Medium),
            ("https://guns.wikia.com/wiki/SVD", Reliability::Low),
            (
                "https://modernwar.fandom.com/x ; https://www.canadiangunnutz.com/forum/t",
                Reliability::Low,
            ),
            (
                "https://guns.wikia.com/wiki/SVD ; https://en.wikipedia.org/wiki/SVD",
                Reliability::Medium,
            ),
            (
                "https://collections.museumsvictoria.com.au/items/388898 ; https://wildebeesoutdoor.com/x",
                Reliability::High,
            ),
            (
                "https://www.sipri.org/databases/embargoes",
                Reliability::High,
            ),
            ("", Reliability::Ungraded),
            // A path mentioning a forum does not make an encyclopaedia low.
            ("https://en.wikipedia.org/wiki/Forum", Reliability::Medium),
        ] {
            assert_eq!(
                SourceRef::graded(citation).reliability,
                expected,
                "{citation}"
            );
        }
    }
}
