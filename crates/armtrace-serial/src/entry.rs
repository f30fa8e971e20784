//! What the index holds for one serial, and the filters a query applies to it.

use roaring::RoaringBitmap;

/// Where a serial is unique: an opaque context id from the caller (a maker and model, often a
/// year or prefix), with the maker and model ids it belongs to, for filtering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Context {
    pub id: u32,
    pub maker: Option<u32>,
    pub model: Option<u32>,
}

/// What kind of record a serial belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    /// A marking on a documented item.
    ItemMarking,
    /// The serial of a delivery lot.
    LotSerial,
    /// A stockpile record.
    StockRecord,
}

impl RecordKind {
    pub(crate) fn code(self) -> u8 {
        match self {
            RecordKind::ItemMarking => 0,
            RecordKind::LotSerial => 1,
            RecordKind::StockRecord => 2,
        }
    }
    pub(crate) fn from_code(c: u8) -> Option<RecordKind> {
        Some(match c {
            0 => RecordKind::ItemMarking,
            1 => RecordKind::LotSerial,
            2 => RecordKind::StockRecord,
            _ => return None,
        })
    }
}

/// The record a serial belongs to: its kind and the caller's handle for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordRef {
    pub kind: RecordKind,
    pub id: u64,
}

/// Whether the marking was recorded as the serial number, or with no role (markings recorded
/// before roles existed are indexed as possible serials, and a match on one says so).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MarkingRole {
    SerialNumber,
    Unspecified,
}

impl MarkingRole {
    pub(crate) fn code(self) -> u8 {
        match self {
            MarkingRole::SerialNumber => 0,
            MarkingRole::Unspecified => 1,
        }
    }
    pub(crate) fn from_code(c: u8) -> Option<MarkingRole> {
        Some(match c {
            0 => MarkingRole::SerialNumber,
            1 => MarkingRole::Unspecified,
            _ => return None,
        })
    }
}

/// One serial to index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub context: Context,
    /// The text as read, kept and shown as it is.
    pub raw: String,
    pub record: RecordRef,
    pub role: MarkingRole,
    /// Who may read it: an investigation's group, 0 for public records.
    pub group: u32,
}

/// Everything about an entry except its text and record id: few distinct values, so the index
/// stores each once and gives entries a small number for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Facet {
    pub context: Context,
    pub group: u32,
    pub kind: RecordKind,
    pub role: MarkingRole,
}

impl Facet {
    pub fn of(e: &Entry) -> Facet {
        Facet {
            context: e.context,
            group: e.group,
            kind: e.record.kind,
            role: e.role,
        }
    }
}

/// The groups a reader may see.
#[derive(Clone, Debug, PartialEq)]
pub enum Groups {
    /// Every group: for the store's own maintenance, never for a reader.
    All,
    /// Only these groups (include 0 to see public records).
    Only(RoaringBitmap),
}

impl Groups {
    /// Public records (group 0) and the given groups.
    pub fn public_and(groups: impl IntoIterator<Item = u32>) -> Groups {
        let mut b: RoaringBitmap = groups.into_iter().collect();
        b.insert(0);
        Groups::Only(b)
    }

    pub fn allows(&self, group: u32) -> bool {
        match self {
            Groups::All => true,
            Groups::Only(b) => b.contains(group),
        }
    }
}

/// Which entries a query may return. A reader's filter always names their groups.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub groups: Groups,
    /// Only these contexts (sorted or not), when given.
    pub contexts: Option<Vec<u32>>,
    pub maker: Option<u32>,
    pub model: Option<u32>,
    pub kinds: Option<Vec<RecordKind>>,
}

impl Filter {
    /// Everything in `groups`, no other restriction.
    pub fn new(groups: Groups) -> Filter {
        Filter {
            groups,
            contexts: None,
            maker: None,
            model: None,
            kinds: None,
        }
    }

    pub(crate) fn allows(&self, f: &Facet) -> bool {
        self.groups.allows(f.group)
            && self.maker.is_none_or(|m| f.context.maker == Some(m))
            && self.model.is_none_or(|m| f.context.model == Some(m))
            && self
                .contexts
                .as_ref()
                .is_none_or(|c| c.contains(&f.context.id))
            && self.kinds.as_ref().is_none_or(|k| k.contains(&f.kind))
    }
}
