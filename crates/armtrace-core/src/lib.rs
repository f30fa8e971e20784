//! The armtrace domain: the words investigators, arms-flow analysts, licensing officers and
//! stockpile managers use, as types, and the pure logic over them.
//!
//! Architecture invariant: this crate does no I/O. It knows nothing about SQL, HTTP, files or the
//! terminal; everything here is tested with data-driven cases.

pub mod access;
pub mod actor;
pub mod assessment;
pub mod audit;
pub mod canonical;
pub mod category;
pub mod country;
pub mod date;
pub mod embargo;
pub mod error;
pub mod event;
pub mod evidence;
pub mod id;
pub mod investigation;
pub mod item;
pub mod marking;
pub mod model;
pub mod phash;
pub mod quantity;
pub mod reference;
pub mod resolve;
pub mod segment;
pub mod source;
pub mod text;
pub mod trace;
pub mod transfer;
pub mod vocab;

pub use actor::{Actor, ActorKind, Party};
pub use category::{CategoryScheme, WeaponCategory};
pub use country::Country;
pub use date::PartialDate;
pub use error::{Code, Error, Hint, Problem};
pub use id::Id;
pub use quantity::{Measure, MeasureTotals, Milli};
pub use source::{Reliability, SourceRef};
