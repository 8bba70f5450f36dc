//! The `Serialize` view structs of the commands whose work is pure (addr,
//! cidr, grep): the JSON contract of docs/json.md. The binary's human views
//! render from the same values, so the two cannot disagree; an HTTP server
//! serializes them as they are. Field names are snake_case and stable; new
//! fields may be added.

pub mod addr;
pub mod cidr;
pub mod grep;
