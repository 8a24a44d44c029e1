//! Payments and refunds are records: the storefront or an agent records what was collected, an
//! agent what was given back; the order shows its running balance and payment status, and a
//! refund never exceeds what was paid, even when agents refund at once.
use entities::{order, refund};
use futures::future::join_all;
use sea_orm::EntityTrait;
use serde_json::json;

use super::{CARE_FIELDS, amount, call, done, id, kinds, line_id, order, read, shop};
use crate::helpers::{Backend, TestApp, on_both_backends};

/// A lamp shipped to Paris: 40.00 + 4.90 shipping, no tax.
const TOTAL: &str = "44.90";

async fn a_payment_at_checkout_and_later_ones_add_up_to_the_balance(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    let paid_part = json!({ "payment": { "amount": { "amount": "20.00", "currency": "EUR" }, "method": "CARD", "reference": "psp-1" } });
    let placed = order(&app, "ann@example.com", json!([{ "sku": "LAMP", "quantity": 1 }]), paid_part).await;
    assert_eq!(amount(&placed["totals"]["total"]), TOTAL);
    assert_eq!(placed["paymentStatus"], "PARTIALLY_PAID");
    assert_eq!(amount(&placed["balance"]["paid"]), "20.00");
    assert_eq!(amount(&placed["balance"]["owed"]), "24.90");
    assert_eq!(
        placed["payments"],
        json!([{ "amount": { "amount": "20.00", "currency": "EUR" }, "method": "CARD", "reference": "psp-1", "recordedByRole": "agent" }])
    );
    assert_eq!(placed["version"], 1, "a payment changes no line: the version stays");

    let selection = format!("payment {{ amount {{ amount }} method }} order {{ {CARE_FIELDS} }}");
    let rest = json!({ "orderId": id(&placed), "amount": { "amount": "24.90", "currency": "EUR" }, "method": "BANK_TRANSFER" });
    let paid = done(&app, &app.agent(), "recordPayment", &selection, rest).await;
    assert_eq!(paid["payment"], json!({ "amount": { "amount": "24.90" }, "method": "BANK_TRANSFER" }));
    assert_eq!(paid["order"]["paymentStatus"], "PAID");
    assert_eq!(amount(&paid["order"]["balance"]["owed"]), "0.00");

    // A goodwill refund of 10.00 for the lamp.
    let lamp = line_id(&placed, "LAMP");
    let selection = format!("refund {{ number amount {{ amount }} reason }} order {{ {CARE_FIELDS} }}");
    let input = json!({ "orderId": id(&placed), "amount": { "amount": "10.00", "currency": "EUR" },
                        "reason": "scratched base", "lines": [{ "orderLineId": lamp, "quantity": 1 }] });
    let refunded = done(&app, &app.agent(), "issueRefund", &selection, input).await;
    assert_eq!(refunded["refund"], json!({ "number": 1, "amount": { "amount": "10.00" }, "reason": "scratched base" }));
    let after = &refunded["order"];
    assert_eq!(after["paymentStatus"], "PARTIALLY_REFUNDED");
    assert_eq!(amount(&after["balance"]["refunded"]), "10.00");
    assert_eq!(after["refunds"][0]["lines"], json!([{ "quantity": 1, "orderLine": { "sku": "LAMP" } }]));
    assert_eq!(kinds(after)[1..], ["PAYMENT_RECORDED", "PAYMENT_RECORDED", "REFUND_ISSUED"]);

    // More than what is left of the payments (44.90 - 10.00) is refused, and nothing is written.
    let before = app.snapshot().await;
    let too_much =
        json!({ "orderId": id(&placed), "amount": { "amount": "34.91", "currency": "EUR" }, "reason": "all of it" });
    let body = call(&app, &app.agent(), "issueRefund", "refund { number }", too_much).await;
    let errors = &body["data"]["issueRefund"]["userErrors"];
    assert_eq!(errors[0]["code"], "REFUND_EXCEEDS_PAID", "{body}");
    assert_eq!(errors[0]["field"], json!(["amount", "amount"]));
    let wrong = json!({ "orderId": id(&placed), "amount": { "amount": "1.00", "currency": "USD" }, "method": "CASH" });
    let body = call(&app, &app.agent(), "recordPayment", "payment { method }", wrong).await;
    assert_eq!(body["data"]["recordPayment"]["userErrors"][0]["code"], "CURRENCY_MISMATCH", "{body}");
    assert_eq!(app.snapshot().await, before);
}
on_both_backends!(a_payment_at_checkout_and_later_ones_add_up_to_the_balance);

/// The storefront records its shopper's payment with the customer's token; refunds are for
/// agents. The customer sees the payment on their timeline in their own words.
#[tokio::test]
async fn a_storefront_records_its_own_payment_and_may_not_refund() {
    let app = TestApp::spawn(Backend::Postgres).await;
    shop(&app).await;
    let customer = app.create_customer(&app.agent(), "cy@example.com", "Cy").await;
    let token = app.customer_token(&customer);
    let placed = order(&app, "cy@example.com", json!([{ "sku": "LAMP", "quantity": 1 }]), json!({})).await;
    let pay = json!({ "orderId": id(&placed), "amount": { "amount": "44.90", "currency": "EUR" }, "method": "CARD" });
    let paid = done(&app, &token, "recordPayment", "order { paymentStatus }", pay).await;
    assert_eq!(paid["order"]["paymentStatus"], "PAID");

    let refund = json!({ "orderId": id(&placed), "amount": { "amount": "1.00", "currency": "EUR" }, "reason": "x" });
    let body = call(&app, &token, "issueRefund", "refund { number }", refund).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
    // Someone else's order is missing to this customer.
    let other = order(&app, "dee@example.com", json!([{ "sku": "LAMP", "quantity": 1 }]), json!({})).await;
    let pay = json!({ "orderId": id(&other), "amount": { "amount": "1.00", "currency": "EUR" }, "method": "CARD" });
    let body = call(&app, &token, "recordPayment", "order { id }", pay).await;
    assert_eq!(body["data"]["recordPayment"]["userErrors"][0]["code"], "NOT_FOUND", "{body}");

    let seen = read(&app, &token, &id(&placed)).await;
    let payment = seen["events"].as_array().and_then(|e| e.last()).expect("an entry");
    assert_eq!(payment, &json!({ "kind": "PAYMENT_RECORDED", "actorRole": "customer", "message": "Payment received" }));
}

/// Ten agents refund 30.00 each of an order paid 104.90 at the same moment: three win, the rest
/// are told REFUND_EXCEEDS_PAID, and the books say exactly 90.00 was given back.
async fn concurrent_refunds_never_exceed_what_was_paid(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    app.create_product("TABLE", "100.00").await;
    app.receive("TABLE", "WH-PARIS", 1).await;
    let payment = json!({ "payment": { "amount": { "amount": "104.90", "currency": "EUR" }, "method": "CARD" } });
    let placed = order(&app, "race@example.com", json!([{ "sku": "TABLE", "quantity": 1 }]), payment).await;
    assert_eq!(placed["paymentStatus"], "PAID");

    let agent = app.agent();
    let attempts = (0..10).map(|i| {
        let input = json!({ "orderId": id(&placed), "amount": { "amount": "30.00", "currency": "EUR" }, "reason": format!("agent {i}") });
        let agent = agent.clone();
        let app = &app;
        async move { call(app, &agent, "issueRefund", "refund { number }", input).await }
    });
    let answers = join_all(attempts).await;
    let mut won = 0;
    for body in &answers {
        assert!(body.get("errors").is_none(), "{body}");
        match body["data"]["issueRefund"]["userErrors"].as_array().map(Vec::len) {
            Some(0) => won += 1,
            _ => assert_eq!(body["data"]["issueRefund"]["userErrors"][0]["code"], "REFUND_EXCEEDS_PAID", "{body}"),
        }
    }
    assert_eq!(won, 3);
    let refunds = refund::Entity::find().all(&app.db).await.expect("refunds");
    assert_eq!(refunds.iter().map(|r| r.amount_minor).sum::<i64>(), 9_000);
    let mut numbers: Vec<i32> = refunds.iter().map(|r| r.refund_no).collect();
    numbers.sort();
    assert_eq!(numbers, [1, 2, 3]);
    let row = order::Entity::find().one(&app.db).await.expect("order").expect("the order");
    assert_eq!((row.paid_minor, row.refunded_minor), (10_490, 9_000));
    let seen = read(&app, &app.agent(), &id(&placed)).await;
    assert_eq!(kinds(&seen).iter().filter(|k| *k == "REFUND_ISSUED").count(), 3);
    assert_eq!(amount(&seen["balance"]["refunded"]), "90.00");
}
on_both_backends!(concurrent_refunds_never_exceed_what_was_paid, multi_thread);

/// The embedded default (SQLite, queues in the same file, emails as files): a partial
/// cancellation and each refund email the customer once, with the amounts.
#[tokio::test]
async fn sqlite_partial_cancellations_and_refunds_email_the_customer() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // The order waits for an agent, so its only emails are the care stories'.
    app.confirm_by_hand("WEB").await;
    let dir = std::env::temp_dir().join(format!("oms-care-mail-{}", uuid::Uuid::new_v4()));
    let settings = oms_worker::WorkerSettings {
        queue_prefix: format!("oms-test-{}.", uuid::Uuid::new_v4().simple()),
        poll_interval: std::time::Duration::from_millis(50),
        relay_interval: std::time::Duration::from_millis(50),
        mail_dir: dir.clone(),
        ..oms_worker::WorkerSettings::default()
    };
    let pool = oms_worker::spawn(app.db.clone(), settings).expect("start the workers");
    shop(&app).await;
    let payment = json!({ "payment": { "amount": { "amount": "124.90", "currency": "EUR" }, "method": "CARD" } });
    let placed = order(&app, "ann@example.com", json!([{ "sku": "LAMP", "quantity": 3 }]), payment).await;
    let lamp = line_id(&placed, "LAMP");
    let input =
        json!({ "orderId": id(&placed), "reason": "too many", "lines": [{ "orderLineId": lamp, "quantity": 1 }] });
    done(&app, &app.agent(), "cancelOrder", "order { version }", input).await;
    // An email shows the order as it is when sent: the refunds wait for the cancellation's.
    wait_for_emails(&dir, 1).await;
    for amount in ["40.00", "5.00"] {
        let refund =
            json!({ "orderId": id(&placed), "amount": { "amount": amount, "currency": "EUR" }, "reason": "owed" });
        done(&app, &app.agent(), "issueRefund", "refund { number }", refund).await;
    }

    let files = wait_for_emails(&dir, 3).await;
    let emails: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).expect("read")).collect();
    let number = placed["number"].as_str().expect("number");
    let partly: Vec<&String> =
        emails.iter().filter(|e| e.contains(&format!("Subject: Part of your order {number} was cancelled"))).collect();
    assert_eq!(partly.len(), 1, "{emails:?}");
    assert!(partly[0].contains("2 x Product LAMP") && partly[0].contains("(1 cancelled)"), "{}", partly[0]);
    assert!(partly[0].contains("We owe you 40.00 EUR"), "{}", partly[0]);
    let refunds: Vec<&String> =
        emails.iter().filter(|e| e.contains(&format!("Subject: A refund for your order {number}"))).collect();
    assert_eq!(refunds.len(), 2, "{emails:?}");
    assert!(
        refunds.iter().any(|e| e.contains("refunded 40.00 EUR"))
            && refunds.iter().any(|e| e.contains("refunded 5.00 EUR"))
    );
    pool.shutdown().await.expect("the pool stops");
    let _ = std::fs::remove_dir_all(dir);
}

/// Waits until `dir` holds `n` emails (or a while has passed); returns them.
async fn wait_for_emails(dir: &std::path::Path, n: usize) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for _ in 0..300 {
        files = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        if files.len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(files.len(), n, "{files:?}");
    files
}
