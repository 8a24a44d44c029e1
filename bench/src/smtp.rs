//! A minimal SMTP sink for the job benchmark: accepts every message and records when each
//! subject arrived. It speaks what lettre needs (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Subjects and the instant the server accepted each message.
pub type Accepted = Arc<Mutex<Vec<(String, Instant)>>>;

/// Starts the sink on a free port; returns its port and what it accepted.
pub async fn start() -> std::io::Result<(u16, Accepted)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let accepted: Accepted = Arc::default();
    let a = accepted.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(session(socket, a.clone()));
        }
    });
    Ok((port, accepted))
}

async fn session(socket: tokio::net::TcpStream, accepted: Accepted) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 bench ESMTP\r\n").await.is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        if !matches!(lines.read_line(&mut line).await, Ok(n) if n > 0) {
            return;
        }
        let upper = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-bench\r\n250 8BITMIME\r\n"
        } else if upper == "DATA" {
            if write.write_all(b"354 go\r\n").await.is_err() {
                return;
            }
            let mut subject = String::new();
            loop {
                line.clear();
                if !matches!(lines.read_line(&mut line).await, Ok(n) if n > 0) {
                    return;
                }
                if line == ".\r\n" {
                    break;
                }
                if let Some(s) = line.strip_prefix("Subject: ")
                    && subject.is_empty()
                {
                    subject = s.trim().to_owned();
                }
            }
            if let Ok(mut a) = accepted.lock() {
                a.push((subject, Instant::now()));
            }
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 OK\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
