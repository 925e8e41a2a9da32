//! The MariaDB test helper itself (tests/common/mariadb.rs): servers of a test's own restart on
//! their port with their data, move to another port when theirs is taken, and a GTID replica
//! started by the helper follows its primary.

#[path = "common/mariadb.rs"]
mod mariadb;

use mariadb::OwnMaria;

#[test]
fn gtid_replica_follows_its_primary() {
    let primary = OwnMaria::start_primary("primary");
    let replica = OwnMaria::start_replica_of(&primary, "replica");
    assert_ne!(primary.port, replica.port);
    assert_ne!(primary.server_id(), replica.server_id());
    let mut c = primary.conn();
    primary.exec(&mut c, "CREATE DATABASE it_helpers_gtid");
    primary.exec(
        &mut c,
        "CREATE TABLE it_helpers_gtid.t (id INT PRIMARY KEY, v VARCHAR(40))",
    );
    primary.exec(
        &mut c,
        "INSERT INTO it_helpers_gtid.t VALUES (1, 'written on the primary')",
    );
    replica.wait_caught_up(&primary);
    assert_eq!(
        replica.query_text("SELECT v FROM it_helpers_gtid.t WHERE id = 1"),
        "written on the primary"
    );
    // log_slave_updates: the replica's own binlog holds the primary's GTIDs (what a reader that
    // fails over to the replica resumes from).
    let pos = primary.query_text("SELECT @@GLOBAL.gtid_binlog_pos");
    assert!(
        pos.starts_with(&format!("0-{}-", primary.server_id())),
        "{pos}"
    );
    assert_eq!(replica.query_text("SELECT @@GLOBAL.gtid_binlog_pos"), pos);
}

#[test]
fn own_server_restarts_on_its_port_with_its_data() {
    let own = OwnMaria::start();
    let mut c = own.conn();
    own.exec(&mut c, "CREATE DATABASE it_helpers_restart");
    own.exec(
        &mut c,
        "CREATE TABLE it_helpers_restart.t (id INT PRIMARY KEY)",
    );
    own.exec(&mut c, "INSERT INTO it_helpers_restart.t VALUES (7)");
    drop(c);
    own.stop();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", own.port)).is_err(),
        "stopped server still listens"
    );
    own.start_again();
    assert_eq!(
        own.query_text("SELECT MAX(id) FROM it_helpers_restart.t"),
        "7"
    );
}

#[test]
fn own_server_moves_to_another_port_when_its_port_is_taken() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let mut picks = 0;
    let own = OwnMaria::start_on(&[], || {
        picks += 1;
        if picks == 1 {
            taken_port
        } else {
            mariadb::free_port()
        }
    });
    assert_eq!(picks, 2);
    assert_ne!(own.port, taken_port);
    assert_eq!(own.query_text("SELECT 1"), "1");
}
