//! `ipkit service` through the real binary, against a services file the test
//! writes and against the built-in copy.

use crate::util::{ipkit, stderr, stdout};

fn services_file() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ipkit-services-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("services");
    std::fs::write(&path, "# test database\nftp\t\t21/tcp\nmyproto\t\t5150/udp\tmine winsock\t# the chapter's port\nmyproto\t\t5150/tcp\nbroken line\n").unwrap();
    path
}

#[test]
fn by_name_alias_and_port_from_the_file() {
    let f = services_file();
    let f = f.to_str().unwrap();
    let o = ipkit(&["service", "--services-file", f, "myproto"]);
    assert_eq!(
        stdout(&o),
        "myproto              5150/udp   mine winsock\nmyproto              5150/tcp\n"
    );
    let o = ipkit(&["service", "--services-file", f, "winsock"]);
    assert!(
        stdout(&o).starts_with("myproto              5150/udp"),
        "aliases match"
    );
    let o = ipkit(&["service", "--services-file", f, "5150/tcp", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["source"], f);
    assert_eq!(v["results"][0]["matches"][0]["protocol"], "tcp");
    assert_eq!(v["results"][0]["matches"].as_array().map(Vec::len), Some(1));
    let o = ipkit(&["service", "--services-file", f, "ftp/udp"]);
    assert_eq!(o.status.code(), Some(1), "not found is a negative result");
    assert!(stderr(&o).contains("ftp/udp: not found"));
}

#[test]
fn builtin_copy_answers_when_the_file_is_missing() {
    let o = ipkit(&[
        "service",
        "--services-file",
        "/nonexistent/services",
        "ftp",
        "domain/udp",
        "443",
    ]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("built-in IANA copy"));
    let text = stdout(&o);
    assert!(text.contains("ftp                  21/tcp\n"), "{text}");
    assert!(text.contains("domain               53/udp\n"));
    assert!(text.contains("https                443/tcp\n"));
    let o = ipkit(&[
        "service",
        "--services-file",
        "/nonexistent/services",
        "--all",
    ]);
    assert!(stdout(&o).lines().count() > 50);
}

#[test]
fn protocols_database() {
    for file in ["/etc/protocols", "/nonexistent/protocols"] {
        let o = ipkit(&[
            "service",
            "--protocols-file",
            file,
            "--protocol",
            "icmp",
            "--protocol",
            "58",
            "--json",
        ]);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["results"][0]["matches"][0]["number"], 1, "{file}");
        assert_eq!(v["results"][1]["matches"][0]["name"], "ipv6-icmp", "{file}");
    }
    let o = ipkit(&["service", "--protocol", "no-such-proto"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn malformed_queries_are_usage_errors() {
    for bad in ["70000", "/tcp", "ftp/"] {
        let o = ipkit(&["service", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert_eq!(stderr(&o).lines().count(), 1, "{bad}: {}", stderr(&o));
    }
}
