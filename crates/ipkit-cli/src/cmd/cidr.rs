//! `ipkit cidr`: sets of prefixes — merge, exclude, split, range2cidr,
//! cidr2range, hosts, match/contains, count — over IPv4 and IPv6, from
//! arguments, `--file`, or stdin. The set logic is `ipkit_core::set`.
//!
//! A bad line is reported on stderr with its number, counted and skipped;
//! the exit code is then 2. JSON: one document per run (`{"prefixes": […]}`,
//! `{"ranges": […]}`, `{"ipv4": N, "ipv6": "N"}`); `hosts` and `match` stream
//! NDJSON records.

use std::io::{BufWriter, Write};

use crate::interrupt::Interrupt;
use ipkit_core::set::AddrCount;
use std::net::IpAddr;
use std::path::PathBuf;

use ipkit::report::cidr::{CountDoc, LineRecord, PrefixDoc, RangeDoc, RangeView};
use ipkit_core::IpNet;
use ipkit_core::set::{IpSet, SetItem, split, split_len_for_count};

use crate::exit::usage;
use crate::input::{BadLines, Source};
use crate::output::{Output, print_json, write_record};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit cidr merge 10.0.0.0/24 10.0.1.0/24          10.0.0.0/23
  ipkit cidr merge --file prefixes.txt               millions of lines, IPv4 and IPv6
  ipkit cidr exclude 10.0.0.0/8 --remove 10.1.0.0/16
  ipkit cidr split 192.0.2.0/24 --into /26
  ipkit cidr split 2001:db8::/32 --count 4
  ipkit cidr range2cidr 192.0.2.1-192.0.2.6
  ipkit cidr cidr2range 192.0.2.0/25
  ipkit cidr hosts 192.0.2.0/29
  ipkit cidr match --set 10.0.0.0/8 < access.log    lines whose first address is in the set
  ipkit cidr count 10.0.0.0/8 2001:db8::/64";

/// Arguments of `ipkit cidr`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    op: Op,
}

/// Where the input prefixes come from.
#[derive(Debug, clap::Args)]
struct Inputs {
    /// Prefixes, ranges or addresses (else --file, else stdin).
    #[arg(value_name = "PREFIX")]
    items: Vec<String>,
    /// Read them from FILE, one per line (`-` for stdin).
    #[arg(long, short = 'f', value_name = "FILE")]
    file: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
enum Op {
    /// Aggregate into the minimal sorted prefix list.
    #[command(
        after_help = "Examples (output as shown; Python's ipaddress agrees):\n  ipkit cidr merge 10.0.0.0/24 10.0.1.0/24 10.0.3.0/24\n      10.0.0.0/23\n      10.0.3.0/24"
    )]
    Merge(Inputs),
    /// Remove prefixes from the set.
    #[command(
        after_help = "Examples (output as shown; Python's ipaddress agrees):\n  ipkit cidr exclude 192.0.2.0/24 --remove 192.0.2.64/26\n      192.0.2.0/26\n      192.0.2.128/25"
    )]
    Exclude {
        #[command(flatten)]
        inputs: Inputs,
        /// Prefixes to remove: repeat the flag or give a comma list.
        #[arg(
            long,
            value_name = "PREFIX",
            value_delimiter = ',',
            required_unless_present = "remove_file"
        )]
        remove: Vec<String>,
        /// Read the prefixes to remove from FILE.
        #[arg(long, value_name = "FILE")]
        remove_file: Option<PathBuf>,
    },
    /// Split each prefix into subnets of one length, or into at least N parts.
    #[command(
        after_help = "Examples (output as shown; Python's ipaddress agrees):\n  ipkit cidr split 192.0.2.0/24 --into /26\n      192.0.2.0/26\n      192.0.2.64/26\n      192.0.2.128/26\n      192.0.2.192/26\n  ipkit cidr split 2001:db8::/32 --count 4\n      2001:db8::/34\n      2001:db8:4000::/34\n      2001:db8:8000::/34\n      2001:db8:c000::/34"
    )]
    Split {
        #[command(flatten)]
        inputs: Inputs,
        /// The new prefix length (`/26` or `26`).
        #[arg(
            long,
            value_name = "/LEN",
            required_unless_present = "count",
            conflicts_with = "count"
        )]
        into: Option<String>,
        /// At least this many parts (rounded up to a power of two).
        #[arg(long, value_name = "N")]
        count: Option<u128>,
        /// Refuse to print more subnets than this.
        #[arg(long, value_name = "N", default_value_t = 1 << 20)]
        limit: u128,
    },
    /// Ranges (`A-B` or `A B`) to the fewest covering prefixes.
    #[command(
        after_help = "Examples (output as shown; Python's ipaddress agrees):\n  ipkit cidr range2cidr 192.0.2.1-192.0.2.6\n      192.0.2.1/32\n      192.0.2.2/31\n      192.0.2.4/31\n      192.0.2.6/32"
    )]
    Range2cidr(Inputs),
    /// Prefixes to merged ranges (`first-last`).
    #[command(
        after_help = "Examples (output as shown; Python's ipaddress agrees):\n  ipkit cidr cidr2range 192.0.2.0/25 10.0.0.0/8\n      10.0.0.0-10.255.255.255\n      192.0.2.0-192.0.2.127"
    )]
    Cidr2range(Inputs),
    /// List every address of the prefixes.
    #[command(
        after_help = "Examples (output as shown; Python's ipaddress agrees):\n  ipkit cidr hosts 192.0.2.0/30\n      192.0.2.0\n      192.0.2.1\n      192.0.2.2\n      192.0.2.3\n  ipkit cidr hosts 192.0.2.0/30 --usable\n      192.0.2.1\n      192.0.2.2"
    )]
    Hosts {
        #[command(flatten)]
        inputs: Inputs,
        /// Refuse to list more addresses than this.
        #[arg(long, value_name = "N", default_value_t = 65_536)]
        limit: u128,
        /// For IPv4 prefixes shorter than /31, skip network and broadcast.
        #[arg(long)]
        usable: bool,
    },
    /// Print input lines whose first address lies in the set (with -v, every other line).
    #[command(
        alias = "contains",
        after_help = "Examples (output as shown; Python's ipaddress agrees):\n  ipkit cidr match --set 10.0.0.0/8 10.1.2.3 192.0.2.1\n      10.1.2.3\n  ipkit cidr match -v --set 10.0.0.0/8,192.0.2.0/24 10.1.2.3 192.0.2.1 198.51.100.9\n      198.51.100.9"
    )]
    Match {
        #[command(flatten)]
        inputs: Inputs,
        /// The set's prefixes: repeat the flag or give a comma list.
        #[arg(
            long,
            value_name = "PREFIX",
            value_delimiter = ',',
            required_unless_present = "set_file"
        )]
        set: Vec<String>,
        /// Read the set from FILE.
        #[arg(long, value_name = "FILE")]
        set_file: Option<PathBuf>,
        /// Print lines NOT in the set instead.
        #[arg(long, short = 'v')]
        invert: bool,
    },
    /// Count the addresses the prefixes cover (overlaps counted once).
    #[command(
        after_help = "Examples (output as shown; Python's ipaddress agrees):\n  ipkit cidr count 10.0.0.0/8 10.1.0.0/16 2001:db8::/64\n      IPv4 addresses: 16777216\n      IPv6 addresses: 18446744073709551616"
    )]
    Count(Inputs),
}

/// Read every item of a source into a set, reporting bad lines.
fn read_set(source: Source, bad: &mut BadLines) -> anyhow::Result<IpSet> {
    let mut set = IpSet::new();
    let name = source.name().to_string();
    source.for_each_line(|n, line| {
        let line = ipkit_core::text::content(line);
        if line.is_empty() {
            return Ok(());
        }
        match line.parse::<SetItem>() {
            Ok(item) => {
                if let Err(err) = set.add_item(item) {
                    bad.report(&name, n, err);
                }
            }
            Err(err) => bad.report(&name, n, err),
        }
        Ok(())
    })?;
    Ok(set)
}

fn open(inputs: Inputs) -> anyhow::Result<Source> {
    Source::open(inputs.items, inputs.file)
}

fn print_prefixes(set: &mut IpSet, out: &Output) -> anyhow::Result<()> {
    set.normalize();
    if out.json {
        let mut prefixes = Vec::new();
        set.for_each_prefix(|p| prefixes.push(p.to_string()));
        return print_json(&PrefixDoc { prefixes });
    }
    let stdout = std::io::stdout();
    let mut w = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut err = None;
    set.for_each_prefix(|p| {
        if err.is_none() {
            err = writeln!(w, "{p}").err();
        }
    });
    if let Some(e) = err {
        return Err(e.into());
    }
    w.flush()?;
    Ok(())
}

/// Run `ipkit cidr`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    let mut bad = BadLines::default();
    match args.op {
        Op::Merge(inputs) | Op::Range2cidr(inputs) => {
            let mut set = read_set(open(inputs)?, &mut bad)?;
            print_prefixes(&mut set, out)?;
        }
        Op::Exclude {
            inputs,
            remove,
            remove_file,
        } => {
            let mut set = read_set(open(inputs)?, &mut bad)?;
            let removal = if remove.is_empty() {
                Source::open(Vec::new(), remove_file)?
            } else {
                Source::Args(remove)
            };
            let mut minus = read_set(removal, &mut bad)?;
            set.exclude(&mut minus);
            print_prefixes(&mut set, out)?;
        }
        Op::Cidr2range(inputs) => {
            let mut set = read_set(open(inputs)?, &mut bad)?;
            set.normalize();
            let ranges = set.ranges();
            if out.json {
                let ranges = ranges
                    .iter()
                    .map(|(a, b)| RangeView {
                        first: a.to_string(),
                        last: b.to_string(),
                    })
                    .collect();
                print_json(&RangeDoc { ranges })?;
            } else {
                let mut w = BufWriter::new(std::io::stdout().lock());
                for (a, b) in ranges {
                    writeln!(w, "{a}-{b}")?;
                }
                w.flush()?;
            }
        }
        Op::Count(inputs) => {
            let mut set = read_set(open(inputs)?, &mut bad)?;
            set.normalize();
            let (v4, v6) = set.count_exact();
            if out.json {
                print_json(&CountDoc {
                    ipv4: v4,
                    ipv6: v6.to_string(),
                })?;
            } else {
                println!("IPv4 addresses: {v4}\nIPv6 addresses: {v6}");
            }
        }
        Op::Split {
            inputs,
            into,
            count,
            limit,
        } => {
            let source = open(inputs)?;
            let name = source.name().to_string();
            let mut nets = Vec::new();
            source.for_each_line(|n, line| {
                let line = ipkit_core::text::content(line);
                if !line.is_empty() {
                    match line.parse::<IpNet>() {
                        Ok(net) => nets.push(net),
                        Err(e) => bad.report(&name, n, e),
                    }
                }
                Ok(())
            })?;
            let mut result = Vec::new();
            for net in nets {
                let max = if matches!(net, IpNet::V4(_)) { 32 } else { 128 };
                let len = match (&into, count) {
                    (Some(text), _) => {
                        text.trim_start_matches('/').parse::<u8>().map_err(|_| {
                            usage(format!("--into {text}: give a prefix length like /26"))
                        })?
                    }
                    (None, Some(c)) => split_len_for_count(net.prefix_len(), max, c)
                        .ok_or_else(|| usage(format!("{net} cannot be split into {c} parts")))?,
                    (None, None) => return Err(usage("give --into /LEN or --count N")),
                };
                split(net, len, limit, |p| result.push(p))
                    .map_err(|e| usage(format!("{e}; raise --limit to allow more")))?;
            }
            if out.json {
                print_json(&PrefixDoc {
                    prefixes: result.iter().map(ToString::to_string).collect(),
                })?;
            } else {
                let mut w = BufWriter::new(std::io::stdout().lock());
                for p in result {
                    writeln!(w, "{p}")?;
                }
                w.flush()?;
            }
        }
        Op::Hosts {
            inputs,
            limit,
            usable,
        } => {
            let mut set = IpSet::new();
            let source = open(inputs)?;
            let name = source.name().to_string();
            let mut nets = Vec::new();
            source.for_each_line(|n, line| {
                let line = ipkit_core::text::content(line);
                if !line.is_empty() {
                    match line.parse::<IpNet>() {
                        Ok(net) => {
                            set.add_net(net);
                            nets.push(net);
                        }
                        Err(e) => bad.report(&name, n, e),
                    }
                }
                Ok(())
            })?;
            set.normalize();
            let (v4, v6) = set.count_exact();
            let total = v6.saturating_add(AddrCount::new(u128::from(v4)));
            if total > AddrCount::new(limit) {
                return Err(usage(format!(
                    "these prefixes hold {total} addresses, more than --limit {limit}; raise --limit to list them"
                )));
            }
            let interrupt = Interrupt::install();
            let mut listed = 0u128;
            let mut w = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let skip_edges = |ip: IpAddr| {
                usable
                    && nets.iter().any(|n| match n {
                        IpNet::V4(n4) if n4.prefix_len() < 31 => {
                            IpAddr::V4(n4.network()) == ip || IpAddr::V4(n4.broadcast()) == ip
                        }
                        _ => false,
                    })
            };
            'list: for (s, e) in set.v4.clone() {
                for a in s..=e {
                    listed += 1;
                    if listed.is_multiple_of(4096) && interrupt.fired() {
                        break 'list;
                    }
                    let ip = IpAddr::V4(a.into());
                    if !skip_edges(ip) {
                        if out.json {
                            write_record(&mut w, "host", &ip)?
                        } else {
                            writeln!(w, "{ip}")?
                        }
                    }
                }
            }
            for (s, e) in set.v6.clone() {
                if interrupt.fired() {
                    break;
                }
                let mut a = s;
                loop {
                    listed += 1;
                    if listed.is_multiple_of(4096) && interrupt.fired() {
                        break;
                    }
                    let ip = IpAddr::V6(a.into());
                    if out.json {
                        write_record(&mut w, "host", &ip)?
                    } else {
                        writeln!(w, "{ip}")?
                    }
                    if a == e {
                        break;
                    }
                    a += 1;
                }
            }
            w.flush()?;
            if let Some(code) = interrupt.exit_code() {
                drop(w);
                eprintln!(
                    "ipkit: interrupted: the listing stopped after {} of the {total} addresses",
                    listed.saturating_sub(1)
                );
                return Ok(code);
            }
        }
        Op::Match {
            inputs,
            set,
            set_file,
            invert,
        } => {
            let set_source = if set.is_empty() {
                Source::open(Vec::new(), set_file)?
            } else {
                Source::Args(set)
            };
            let mut the_set = read_set(set_source, &mut bad)?;
            the_set.normalize();
            let source = open(inputs)?;
            let mut w = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let mut matched = 0u64;
            source.for_each_line(|n, line| {
                // The line's first address, found as `ipkit grep` finds it;
                // -v prints exactly the other lines, those with no address too.
                let addr = ipkit_core::scan::find_all(line.as_bytes())
                    .next()
                    .map(|m| m.addr);
                let inside = addr.is_some_and(|a| the_set.contains(a));
                if inside != invert {
                    matched += 1;
                    if out.json {
                        write_record(
                            &mut w,
                            "match",
                            &LineRecord {
                                line: n,
                                text: line,
                            },
                        )?;
                    } else {
                        writeln!(w, "{line}")?;
                    }
                }
                Ok(())
            })?;
            w.flush()?;
            if matched == 0 && bad.count == 0 {
                return Ok(crate::exit::NEGATIVE);
            }
        }
    }
    Ok(bad.finish())
}
