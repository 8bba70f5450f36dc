//! ipkit's own DNS client: one question to one server over UDP (retried over
//! TCP when the answer is truncated) or TCP, answers checked before they are
//! believed, and resolv.conf's servers, attempts and search list applied the
//! way the glibc stub resolver applies them.
//!
//! Wire format is hickory-proto's (we do not hand-write DNS parsing). The
//! transport is ours, on plain blocking sockets: a single query pays no
//! runtime start-up, which keeps `ipkit dns name @server` as quick as kdig.
//! An answer is rejected (and counted) unless it comes from the server we
//! asked (a connected UDP socket lets the kernel drop others), carries our
//! random id, is a response, and repeats our question; a malformed answer is
//! rejected the same way and never ends the wait early.
//!
//! The spine: a [`Request`] (what the user asked, checked) becomes a
//! [`Plan`] against resolv.conf; [`run()`] executes it and returns an
//! [`Outcome`] of [`report`]s, the JSON contract the views render from.
//! The parts, each a file that imports only the parts below it, never this
//! module: [`message`] (question, options, query, checks), [`stream`]
//! (sockets and framing), [`tls`] (DoT, DoH), [`exchange`](mod@exchange) (one question to
//! one server), [`search`](mod@search) (resolv.conf's servers and search list),
//! [`axfr`](mod@axfr), [`trace`](mod@trace), [`request`], [`run`](mod@run), [`report`] and
//! [`presentation`] (record data as dig prints it).

pub mod axfr;
pub mod exchange;
pub mod message;
pub mod presentation;
pub mod report;
pub mod request;
pub mod run;
pub mod search;
pub mod stream;
pub mod tls;
pub mod trace;

pub use axfr::axfr;
pub use exchange::exchange;
pub use message::{
    Answer, DnsError, EdnsRequests, NameError, QueryOptions, Question, Secure, answers,
    build_query, decode, name_from_text, random_id,
};
pub use request::{Plan, Request, RequestError, Transport};
pub use run::{Outcome, run};
pub use search::{ask, search, servers, system_config};
pub use trace::{ROOT_HINTS, TraceError, TraceStep, trace};
