//! The `Serialize` view structs of each command: the JSON contract. The
//! human view renders from the same values, so the two cannot disagree.
//! Field names are snake_case and stable; new fields may be added.

pub mod addr;
pub mod dns;
pub mod grep;
pub mod resolve;
