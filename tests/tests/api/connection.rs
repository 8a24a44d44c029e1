//! How the service connects to PostgreSQL: a server on this machine is spoken to without TLS
//! (over loopback it protects nothing and costs both sides CPU on every statement), unless the
//! operator chose a mode in the URL.
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::helpers::{Backend, TestApp};

async fn encrypted(db: &DatabaseConnection) -> bool {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ))
        .await
        .expect("read pg_stat_ssl")
        .expect("this connection's row");
    row.try_get::<bool>("", "ssl").expect("ssl")
}

#[tokio::test]
async fn a_database_on_this_machine_is_spoken_to_without_tls_unless_the_url_asks_for_it() {
    let app = TestApp::spawn(Backend::Postgres).await;
    assert!(app.database_url().contains("127.0.0.1") && !app.database_url().contains("sslmode"));
    assert!(!encrypted(&app.db).await, "the service's connection to 127.0.0.1 uses TLS");

    let server = app
        .db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, "SHOW ssl"))
        .await
        .expect("SHOW ssl")
        .expect("a row");
    let server_has_tls = server.try_get::<String>("", "ssl").expect("ssl") == "on";
    let chosen = domain::db::connect(&format!("{}?sslmode=require", app.database_url())).await;
    if server_has_tls {
        let chosen = chosen.expect("connect with sslmode=require");
        assert!(encrypted(&chosen).await, "sslmode=require in the URL was not kept");
        chosen.close().await.expect("close");
    } else {
        // A server without TLS refuses what the URL insists on: the operator's choice is kept.
        assert!(chosen.is_err(), "sslmode=require connected to a server without TLS");
    }
}
