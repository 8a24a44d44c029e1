//! A small SMTP server for the tests: it speaks enough of the protocol for lettre (EHLO, MAIL
//! FROM, RCPT TO, DATA, RSET, NOOP, QUIT), records every message it accepts, and can be told to
//! refuse the next few messages with a temporary failure. Started with a delay, it takes about that
//! long to answer each message, so a sender can die with work in flight; a sender that hangs up
//! before the answer has not sent the message (RFC 5321 §3.8: a closed connection cancels the
//! pending transaction), as with a real server.
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One accepted message.
#[derive(Clone, Debug)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The raw message, headers and body, dot-unstuffed.
    pub data: String,
}

impl Mail {
    /// The Subject header's value.
    pub fn subject(&self) -> String {
        self.data.lines().find_map(|l| l.strip_prefix("Subject: ")).map(|s| s.trim().to_owned()).unwrap_or_default()
    }

    /// The Message-ID header's value (`<…@oms>`): one per notification, so a message sent twice
    /// is recognisably the same message.
    pub fn message_id(&self) -> String {
        self.data
            .lines()
            .find_map(|l| l.split_once(':').filter(|(name, _)| name.eq_ignore_ascii_case("Message-ID")))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// The message with quoted-printable soft breaks undone, to search its text.
    pub fn text(&self) -> String {
        self.data.replace("=\r\n", "").replace("=3D", "=")
    }
}

#[derive(Default)]
struct State {
    mails: Vec<Mail>,
    refuse_next: usize,
    /// How long the server takes to answer a message's data.
    delay: Duration,
}

/// A running SMTP listener; it stops with the test's runtime.
#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        Self::start_with_delay(Duration::ZERO).await
    }

    /// A server that takes from half to one and a half times `delay` to accept each message, at
    /// random, so that concurrent senders do not move in step.
    pub async fn start_with_delay(delay: Duration) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(State { delay, ..State::default() }));
        let s = state.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(session(socket, s.clone()));
            }
        });
        SmtpServer { port, state }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Refuses the next `n` messages with `451` (try again later).
    pub fn refuse_next(&self, n: usize) {
        self.state.lock().expect("lock").refuse_next = n;
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.state.lock().expect("lock").mails.clone()
    }

    /// Waits until `pred` holds for the accepted mails, or panics after `timeout`.
    pub async fn wait_for(&self, timeout: Duration, what: &str, pred: impl Fn(&[Mail]) -> bool) -> Vec<Mail> {
        let start = Instant::now();
        loop {
            let mails = self.mails();
            if pred(&mails) {
                return mails;
            }
            assert!(
                start.elapsed() < timeout,
                "timed out waiting for {what}; got {:?}",
                mails.iter().map(|m| (m.to.clone(), m.subject())).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// From half to one and a half times `delay`.
fn jittered(delay: Duration) -> Duration {
    let span = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX).max(1);
    let random = (uuid::Uuid::new_v4().as_u128() % u128::from(span)) as u64;
    delay / 2 + Duration::from_micros(random)
}

fn address(arg: &str) -> String {
    let start = arg.find('<').map_or(0, |i| i + 1);
    let end = arg.rfind('>').unwrap_or(arg.len());
    arg.get(start..end).unwrap_or_default().to_owned()
}

async fn session(socket: tokio::net::TcpStream, state: Arc<Mutex<State>>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 test.local ESMTP ready\r\n").await.is_err() {
        return;
    }
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            "250-test.local\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".into()
        } else if upper.starts_with("HELO") {
            "250 test.local\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&cmd[10..]);
            to.clear();
            "250 OK\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&cmd[8..]));
            "250 OK\r\n".into()
        } else if upper == "DATA" {
            if write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await.is_err() {
                return;
            }
            let mut data = String::new();
            loop {
                line.clear();
                match lines.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let l = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(l);
            }
            let delay = jittered(state.lock().expect("lock").delay);
            if !delay.is_zero() {
                let hung_up = tokio::select! {
                    () = tokio::time::sleep(delay) => false,
                    read = lines.fill_buf() => read.map_or(true, |b| b.is_empty()),
                };
                if hung_up {
                    return;
                }
            }
            let mut s = state.lock().expect("lock");
            if s.refuse_next > 0 {
                s.refuse_next -= 1;
                "451 4.3.0 try again later\r\n".into()
            } else {
                s.mails.push(Mail { from: from.clone(), to: to.clone(), data });
                "250 OK queued\r\n".into()
            }
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            // RSET, NOOP and anything else.
            "250 OK\r\n".into()
        };
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}
