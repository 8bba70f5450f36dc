//! Criterion benchmarks of ipkit-core's hot loops: the address scanner
//! behind `ipkit grep`, prefix merging behind `ipkit cidr merge`, the
//! Internet checksum every probe pays, and the per-descriptor and per-line
//! parsers behind `ipkit sockets`. Inputs are generated from fixed seeds.
//!
//! `cargo bench -p ipkit-core`; whole-command comparisons with the anchor
//! tools are in `bench/*.sh`.
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ipkit_core::host::{parse_proc_net_line, socket_inode};
use ipkit_core::{IpNet, Ipv4Net};

/// A small deterministic generator (xorshift64*), so runs compare.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn log_text(lines: usize) -> Vec<u8> {
    let mut rng = Rng(7);
    let mut out = Vec::new();
    for i in 0..lines {
        let a = Ipv4Addr::from((rng.next() >> 32) as u32);
        let line = match i % 4 {
            0 => format!("{a} - - [24/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 512\n"),
            1 => format!(
                "upstream [2001:db8::{:x}]:443 took 12ms, build v1.2.3.4.5\n",
                rng.next() & 0xffff
            ),
            2 => format!("client {a}:5150 sent 999.1.1.1 and 10.0.0.256\n"),
            _ => "no address on this line, only 12:34:56 and 2026.11.24\n".to_string(),
        };
        out.extend_from_slice(line.as_bytes());
    }
    out
}

fn scan(c: &mut Criterion) {
    let text = log_text(20_000);
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("find_all (grep)", |b| {
        b.iter(|| ipkit_core::scan::find_all(black_box(&text)).count());
    });
    g.finish();
}

fn merge(c: &mut Criterion) {
    let mut rng = Rng(11);
    let nets: Vec<IpNet> = (0..100_000)
        .map(|_| {
            let r = rng.next();
            let len = 16 + (r % 17) as u8;
            IpNet::V4(
                Ipv4Net::new(Ipv4Addr::from((r >> 32) as u32), len)
                    .unwrap()
                    .trunc(),
            )
        })
        .collect();
    let mut g = c.benchmark_group("cidr");
    g.throughput(Throughput::Elements(nets.len() as u64));
    g.bench_function("merge 100k IPv4 prefixes", |b| {
        b.iter(|| {
            let mut set = ipkit_core::set::IpSet::new();
            for n in &nets {
                set.add_net(*n);
            }
            set.prefixes().len()
        });
    });
    g.finish();
}

fn checksum(c: &mut Criterion) {
    let packet: Vec<u8> = (0..1500u32).map(|i| (i * 31 % 251) as u8).collect();
    let mut g = c.benchmark_group("wire");
    g.throughput(Throughput::Bytes(packet.len() as u64));
    g.bench_function("checksum 1500 bytes", |b| {
        b.iter(|| ipkit_core::wire::checksum::checksum(black_box(&packet)));
    });
    g.finish();
}

fn sockets(c: &mut Criterion) {
    let links: Vec<String> = (0..1000u64)
        .map(|i| {
            if i % 5 == 0 {
                format!("pipe:[{}]", 1000 + i)
            } else {
                format!("socket:[{}]", 40_000 + i * 7)
            }
        })
        .collect();
    let line = "   1: 0100007F:1F90 0100007F:C350 01 00000010:00000020 00:00000000 00000000  1000        0 77123 1 0 20 4 30 10 -1";
    let mut g = c.benchmark_group("host");
    g.throughput(Throughput::Elements(links.len() as u64));
    g.bench_function("socket_inode x1000", |b| {
        b.iter(|| {
            links
                .iter()
                .filter_map(|l| socket_inode(black_box(l.as_bytes())))
                .count()
        });
    });
    g.finish();
    c.bench_function("parse_proc_net_line", |b| {
        b.iter(|| {
            parse_proc_net_line(black_box(line))
                .map(|l| l.local.ip() == IpAddr::from([127, 0, 0, 1]))
        });
    });
}

criterion_group!(benches, scan, merge, checksum, sockets);
criterion_main!(benches);
