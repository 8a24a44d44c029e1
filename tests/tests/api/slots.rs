//! Delivery and service scheduling, end to end: a location publishes its weekly slots in its own
//! time zone, the storefront lists what can be booked, orders book places without ever
//! overbooking a slot, customers and agents move and cancel appointments, a closure added later
//! never drops a booking silently, a service line is fulfilled only when its appointment is
//! completed, and the customer is reminded the day before, once.
use std::time::Duration;

use chrono::{Datelike, NaiveDate, Utc};
use futures::future::join_all;
use serde_json::{Value, json};

use crate::background::Workers;
use crate::fixtures::{order_input, own_order};
use crate::helpers::{Backend, TestApp, on_both_backends};

const SET_CALENDAR: &str = "mutation($input: SetLocationCalendarInput!) { setLocationCalendar(input: $input) {
    calendar { locationCode timezone leadDays cutoffHours weekly { weekday start end capacity serviceType }
    closures { date reason } } userErrors { field code message } } }";
const SLOTS: &str = "query($input: AvailableSlotsInput!) { availableSlots(input: $input) {
    slots { id locationCode startsAt endsAt remaining serviceType } userErrors { field code message } } }";
const PLACE: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
    order { id number status version appointments { id status slotId startsAt serviceType line { sku } } }
    userErrors { field code message } } }";
const ORDER: &str = "query($id: ID!) { order(id: $id) { id status version
    lines { sku quantity shippedQuantity }
    fulfillmentOrders { id status location { code } }
    appointments { id status slotId startsAt signedBy completedAt location { code } line { sku } }
    events { kind } } }";
const RESCHEDULE: &str = "mutation($input: RescheduleAppointmentInput!) { rescheduleAppointment(input: $input) {
    appointment { id status slotId startsAt } userErrors { field code message } } }";
const CANCEL: &str = "mutation($input: CancelAppointmentInput!) { cancelAppointment(input: $input) {
    appointment { id status slotId } userErrors { field code message } } }";
const COMPLETE: &str = "mutation($input: CompleteAppointmentInput!) { completeAppointment(input: $input) {
    appointment { id status signedBy } userErrors { field code message } } }";
const AFFECTED: &str = "{ affectedAppointments { appointment { id status } locationCode reason } }";

const WEEKDAYS: [&str; 7] = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];

fn weekday_of(date: NaiveDate) -> &'static str {
    WEEKDAYS[date.weekday().num_days_from_monday() as usize]
}

/// A shop with a store that takes appointments, an installation service and a sofa delivered
/// in a window.
async fn shop(app: &TestApp) {
    app.create_location("ST-LYON", true, 1, "4.90").await;
    app.create_location("ST-NICE", true, 2, "4.90").await;
    app.create_product_with(json!({ "sku": "INSTALL", "name": "Washing machine installation", "kind": "SERVICE",
        "price": { "amount": "49.00", "currency": "EUR" }, "serviceType": "installation" }))
        .await;
    app.create_product_with(json!({ "sku": "SOFA", "name": "Three-seat sofa", "needsAppointment": true,
        "price": { "amount": "899.00", "currency": "EUR" }, "serviceType": "TWO_PERSON" }))
        .await;
    app.create_product("MUG", "12.50").await;
    app.receive("MUG", "ST-LYON", 50).await;
    app.receive("SOFA", "ST-LYON", 50).await;
}

async fn set_calendar(app: &TestApp, input: Value) -> Value {
    let data = app.admin_data(SET_CALENDAR, json!({ "input": input })).await;
    data["setLocationCalendar"].clone()
}

async fn published(app: &TestApp, input: Value) -> Value {
    let payload = set_calendar(app, input).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["calendar"].clone()
}

/// A calendar open every day, all day, in UTC, booking from today: for the stories about
/// capacity, where the hour does not matter.
async fn open_every_day(app: &TestApp, code: &str, capacity: i32, extra: Value) {
    let weekly: Vec<Value> = WEEKDAYS
        .iter()
        .map(|d| json!({ "weekday": d, "start": "00:00", "end": "24:00", "capacity": capacity }))
        .collect();
    let mut input = json!({ "locationCode": code, "timezone": "UTC", "weekly": weekly, "leadDays": 0 });
    if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        input.extend(extra.clone());
    }
    published(app, input).await;
}

async fn slots(app: &TestApp, input: Value) -> Vec<Value> {
    let body = app.gql(None, SLOTS, json!({ "input": input })).await;
    assert_eq!(body["data"]["availableSlots"]["userErrors"], json!([]), "{body}");
    body["data"]["availableSlots"]["slots"].as_array().expect("slots").clone()
}

/// The slot of `code` on `date` (a calendar with one slot a day).
async fn slot_on(app: &TestApp, code: &str, date: NaiveDate) -> Value {
    let found = slots(app, json!({ "locationCode": code, "skus": ["INSTALL"], "from": date, "to": date })).await;
    assert_eq!(found.len(), 1, "one slot on {date}: {found:?}");
    found[0].clone()
}

fn install_on(slot: &Value) -> Value {
    json!([{ "sku": "INSTALL", "quantity": 1, "slotId": slot["id"] }])
}

async fn place(app: &TestApp, token: &str, input: Value) -> Value {
    let body = app.gql(Some(token), PLACE, json!({ "input": input })).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["placeOrder"].clone()
}

async fn order(app: &TestApp, id: &str) -> Value {
    app.admin_data(ORDER, json!({ "id": id })).await["order"].clone()
}

/// Row counts and sums of the scheduling tables, beside the shared snapshot.
async fn snapshot(app: &TestApp) -> Vec<(String, i64)> {
    let mut all = app.snapshot().await;
    all.push(("appointments".to_owned(), app.count("appointments").await));
    all.push(("booked".to_owned(), app.sum("slot_bookings", "booked").await));
    all.push(("booked_appointments".to_owned(), app.count("appointments WHERE status = 'BOOKED'").await));
    all
}

fn codes(payload: &Value) -> Vec<(String, String)> {
    payload["userErrors"]
        .as_array()
        .expect("userErrors")
        .iter()
        .map(|e| {
            let field: Vec<&str> = e["field"].as_array().expect("field").iter().filter_map(Value::as_str).collect();
            (field.join("."), e["code"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

// ---- The calendar and its slots --------------------------------------------------------

/// An admin publishes Lyon's calendar in Paris time. Slots are at 08:00 local on both sides of
/// the spring DST change (07:00 UTC, then 06:00 UTC), a time in the gap moves forward by it, the
/// closure's day has none, and a bad calendar is refused whole, writing nothing.
async fn slots_follow_the_calendar_in_local_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;

    let before = snapshot(&app).await;
    let bad = set_calendar(
        &app,
        json!({ "locationCode": "ST-LYON", "timezone": "Europe/Lyon", "weekly": [
            { "weekday": "MONDAY", "start": "12:00", "end": "08:00", "capacity": 2 },
            { "weekday": "TUESDAY", "start": "08:00", "end": "12:00", "capacity": 0 },
            { "weekday": "WEDNESDAY", "start": "8 o'clock", "end": "12:00", "capacity": 1 }
        ] }),
    )
    .await;
    assert_eq!(
        codes(&bad),
        [
            ("timezone".to_owned(), "UNKNOWN_TIME_ZONE".to_owned()),
            ("weekly.0.end".to_owned(), "INVALID_INPUT".to_owned()),
            ("weekly.1.capacity".to_owned(), "INVALID_INPUT".to_owned()),
            ("weekly.2.start".to_owned(), "INVALID_INPUT".to_owned()),
        ],
        "{bad}"
    );
    assert_eq!(snapshot(&app).await, before, "a refused calendar writes nothing");
    assert_eq!(app.count("slot_templates").await, 0);
    let agent = app
        .gql(
            Some(&app.agent()),
            SET_CALENDAR,
            json!({ "input": {
        "locationCode": "ST-LYON", "timezone": "Europe/Paris", "weekly": [] } }),
        )
        .await;
    assert_eq!(agent["errors"][0]["extensions"]["code"], "FORBIDDEN", "admins only: {agent}");

    let weekly: Vec<Value> = WEEKDAYS
        .iter()
        .map(
            |d| json!({ "weekday": d, "start": "08:00", "end": "12:00", "capacity": 2, "serviceType": "installation" }),
        )
        .chain([json!({ "weekday": "SUNDAY", "start": "02:30", "end": "04:00", "capacity": 1 })])
        .collect();
    let calendar = published(
        &app,
        json!({ "locationCode": "ST-LYON", "timezone": "Europe/Paris", "weekly": weekly,
            "closures": [{ "date": "2027-03-31", "reason": "Stock-take" }] }),
    )
    .await;
    assert_eq!(calendar["timezone"], "Europe/Paris");
    assert_eq!(calendar["leadDays"], 1, "a day of lead time unless told");
    assert_eq!(calendar["cutoffHours"], 24);
    assert_eq!(calendar["weekly"].as_array().map(Vec::len), Some(8));
    assert_eq!(
        calendar["weekly"][0],
        json!({ "weekday": "MONDAY", "start": "08:00", "end": "12:00",
        "capacity": 2, "serviceType": "INSTALLATION" })
    );
    assert_eq!(calendar["closures"], json!([{ "date": "2027-03-31", "reason": "Stock-take" }]));

    let listed = slots(
        &app,
        json!({ "locationCode": "ST-LYON", "skus": ["INSTALL"],
        "from": "2027-03-26", "to": "2027-04-01" }),
    )
    .await;
    let starts: Vec<&str> = listed.iter().map(|s| s["startsAt"].as_str().unwrap_or_default()).collect();
    assert_eq!(
        starts,
        [
            "2027-03-26T07:00:00+00:00", // Friday, CET
            "2027-03-27T07:00:00+00:00",
            "2027-03-28T01:30:00+00:00", // 02:30 does not exist that night: 03:30 CEST
            "2027-03-28T06:00:00+00:00", // Sunday 08:00 CEST
            "2027-03-29T06:00:00+00:00",
            "2027-03-30T06:00:00+00:00",
            // 31 March: closed for the stock-take.
            "2027-04-01T06:00:00+00:00",
        ]
    );
    assert!(listed.iter().all(|s| s["remaining"] == 2 || s["serviceType"].is_null()), "{listed:?}");
    assert_eq!(listed[0]["endsAt"], "2027-03-26T11:00:00+00:00");
    assert_eq!(listed[0]["locationCode"], "ST-LYON");

    // A sofa needs two people: the installation slots do not serve it, the untyped one does.
    let sofa = slots(
        &app,
        json!({ "locationCode": "ST-LYON", "skus": ["SOFA"],
        "from": "2027-03-26", "to": "2027-04-01" }),
    )
    .await;
    assert_eq!(sofa.len(), 1, "{sofa:?}");
    // By address: the nearest location with a calendar.
    let near = slots(
        &app,
        json!({ "address": { "latitude": 45.75, "longitude": 4.85 }, "skus": ["INSTALL"],
        "from": "2027-03-26", "to": "2027-03-26" }),
    )
    .await;
    assert_eq!(near.len(), 1);
    assert_eq!(near[0]["id"], listed[0]["id"]);

    // Nothing before the lead time: today is never offered with a day of lead.
    let today = Utc::now().date_naive();
    let soon = slots(&app, json!({ "locationCode": "ST-LYON", "skus": ["INSTALL"], "from": today, "to": today })).await;
    assert_eq!(soon, Vec::<Value>::new());
}
on_both_backends!(slots_follow_the_calendar_in_local_time);

// ---- Capacity ----------------------------------------------------------------------------

/// Twelve customers race for a slot of capacity 3: exactly three orders are taken, the others
/// are refused with SLOT_FULL and write nothing; the counter says 3. An order that accepts an
/// unscheduled line is taken without a place, and a cancelled order gives its place back.
async fn slots_capacity_is_never_overbooked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    open_every_day(&app, "ST-LYON", 3, json!({})).await;
    let date = Utc::now().date_naive() + chrono::Duration::days(3);
    let slot = slot_on(&app, "ST-LYON", date).await;
    assert_eq!(slot["remaining"], 3);

    let agent = app.agent();
    let attempts = (0..12).map(|i| {
        let input = order_input(&format!("racer{i}@example.com"), install_on(&slot));
        let agent = agent.clone();
        let app = &app;
        async move { place(app, &agent, input).await }
    });
    let results = join_all(attempts).await;
    let won: Vec<&Value> = results.iter().filter(|r| r["userErrors"] == json!([])).collect();
    let lost: Vec<&Value> = results.iter().filter(|r| r["userErrors"] != json!([])).collect();
    assert_eq!(won.len(), 3, "exactly the capacity: {results:?}");
    for r in &lost {
        assert_eq!(codes(r), [("lines.0.slotId".to_owned(), "SLOT_FULL".to_owned())], "{r}");
        assert_eq!(r["order"], Value::Null);
    }
    for r in &won {
        let a = &r["order"]["appointments"][0];
        assert_eq!(a["status"], "BOOKED", "{r}");
        assert_eq!(a["slotId"], slot["id"]);
        assert_eq!(a["serviceType"], "INSTALLATION");
    }
    assert_eq!(app.count("orders").await, 3, "the losers wrote nothing");
    assert_eq!(app.sum("slot_bookings", "booked").await, 3);
    assert_eq!(app.count("appointments WHERE status = 'BOOKED'").await, 3);
    assert!(
        slots(&app, json!({ "locationCode": "ST-LYON", "skus": ["INSTALL"], "from": date, "to": date }))
            .await
            .is_empty()
    );

    // A full slot may leave the line unscheduled instead, when the order says so.
    let mut input = order_input("patient@example.com", install_on(&slot));
    input["fullSlotPolicy"] = json!("LEAVE_UNSCHEDULED");
    let patient = place(&app, &agent, input).await;
    assert_eq!(patient["userErrors"], json!([]), "{patient}");
    assert_eq!(patient["order"]["appointments"][0]["status"], "UNSCHEDULED");
    assert_eq!(patient["order"]["appointments"][0]["slotId"], Value::Null);
    assert_eq!(app.sum("slot_bookings", "booked").await, 3);

    // An order cancelled gives its place back; the waiting appointment can take it.
    let first = won[0]["order"]["id"].as_str().expect("id").to_owned();
    let cancelled = app.cancel_body(&agent, &first, "changed their mind").await;
    assert_eq!(cancelled["data"]["cancelOrder"]["userErrors"], json!([]), "{cancelled}");
    assert_eq!(order(&app, &first).await["appointments"][0]["status"], "CANCELLED");
    assert_eq!(slot_on(&app, "ST-LYON", date).await["remaining"], 1);
    let waiting = patient["order"]["appointments"][0]["id"].clone();
    let booked =
        app.gql(Some(&agent), RESCHEDULE, json!({ "input": { "appointmentId": waiting, "slotId": slot["id"] } })).await;
    assert_eq!(booked["data"]["rescheduleAppointment"]["userErrors"], json!([]), "{booked}");
    assert_eq!(booked["data"]["rescheduleAppointment"]["appointment"]["status"], "BOOKED");
    assert_eq!(app.sum("slot_bookings", "booked").await, 3);

    // A slot that is not one, or of a product that needs none, refuses the order.
    let bogus = place(
        &app,
        &agent,
        order_input(
            "x@example.com",
            json!([{ "sku": "INSTALL", "quantity": 1,
        "slotId": "slot:ST-LYON:00000000-0000-0000-0000-000000000000:2030-01-01" }]),
        ),
    )
    .await;
    assert_eq!(codes(&bogus), [("lines.0.slotId".to_owned(), "SLOT_UNAVAILABLE".to_owned())]);
    let mug = place(
        &app,
        &agent,
        order_input(
            "x@example.com",
            json!([{ "sku": "MUG", "quantity": 1,
        "slotId": slot["id"] }]),
        ),
    )
    .await;
    assert_eq!(codes(&mug), [("lines.0.slotId".to_owned(), "SLOT_UNAVAILABLE".to_owned())]);
}
on_both_backends!(slots_capacity_is_never_overbooked, multi_thread);

// ---- Moving and cancelling ---------------------------------------------------------------

/// A customer moves their appointment: into a full slot it is refused and nothing changes; into
/// a free one it moves and the old place is given back. Past the cut-off only an agent may.
async fn slots_reschedule_into_a_full_slot_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    open_every_day(&app, "ST-LYON", 1, json!({})).await;
    // Nice's cut-off is two weeks: every slot there is past it for a customer.
    open_every_day(&app, "ST-NICE", 5, json!({ "cutoffHours": 336 })).await;
    let today = Utc::now().date_naive();
    let (a, b, c) = (
        slot_on(&app, "ST-LYON", today + chrono::Duration::days(3)).await,
        slot_on(&app, "ST-LYON", today + chrono::Duration::days(4)).await,
        slot_on(&app, "ST-LYON", today + chrono::Duration::days(5)).await,
    );
    let ada = app.create_customer(&app.agent(), "ada@example.com", "Ada").await;
    let ada_token = app.customer_token(&ada);
    let mine = place(&app, &ada_token, own_order(install_on(&a))).await;
    assert_eq!(mine["userErrors"], json!([]), "{mine}");
    let other = place(&app, &app.agent(), order_input("bob@example.com", install_on(&b))).await;
    assert_eq!(other["userErrors"], json!([]), "{other}");
    let appointment = mine["order"]["appointments"][0]["id"].clone();
    let order_id = mine["order"]["id"].as_str().expect("id").to_owned();

    let before = snapshot(&app).await;
    let before_order = order(&app, &order_id).await;
    let full = app
        .gql(Some(&ada_token), RESCHEDULE, json!({ "input": { "appointmentId": appointment, "slotId": b["id"] } }))
        .await;
    assert_eq!(codes(&full["data"]["rescheduleAppointment"]), [("slotId".to_owned(), "SLOT_FULL".to_owned())]);
    assert_eq!(snapshot(&app).await, before, "nothing changed");
    assert_eq!(order(&app, &order_id).await, before_order, "the appointment and the order are as they were");

    // Someone else's appointment looks missing.
    let bobs = other["order"]["appointments"][0]["id"].clone();
    let foreign = app.gql(Some(&ada_token), CANCEL, json!({ "input": { "appointmentId": bobs } })).await;
    assert_eq!(codes(&foreign["data"]["cancelAppointment"]), [("appointmentId".to_owned(), "NOT_FOUND".to_owned())]);

    let moved = app
        .gql(Some(&ada_token), RESCHEDULE, json!({ "input": { "appointmentId": appointment, "slotId": c["id"] } }))
        .await;
    let moved = &moved["data"]["rescheduleAppointment"];
    assert_eq!(moved["userErrors"], json!([]), "{moved}");
    assert_eq!(moved["appointment"]["slotId"], c["id"]);
    assert_eq!(slot_on(&app, "ST-LYON", today + chrono::Duration::days(3)).await["remaining"], 1, "A is free again");
    let after = order(&app, &order_id).await;
    assert_eq!(after["version"], before_order["version"].as_i64().expect("version") + 1);
    assert!(after["events"].as_array().expect("events").iter().any(|e| e["kind"] == "APPOINTMENT_RESCHEDULED"));

    // Past Nice's cut-off the customer is told to call; the agent moves it.
    let nice = slot_on(&app, "ST-NICE", today + chrono::Duration::days(6)).await;
    let there = app
        .gql(Some(&ada_token), RESCHEDULE, json!({ "input": { "appointmentId": appointment, "slotId": nice["id"] } }))
        .await;
    assert_eq!(there["data"]["rescheduleAppointment"]["userErrors"], json!([]), "{there}");
    let late = app.gql(Some(&ada_token), CANCEL, json!({ "input": { "appointmentId": appointment } })).await;
    assert_eq!(
        codes(&late["data"]["cancelAppointment"]),
        [("appointmentId".to_owned(), "APPOINTMENT_CUTOFF_PASSED".to_owned())]
    );
    let by_agent = app.gql(Some(&app.agent()), CANCEL, json!({ "input": { "appointmentId": appointment } })).await;
    assert_eq!(by_agent["data"]["cancelAppointment"]["appointment"]["status"], "CANCELLED", "{by_agent}");
    assert_eq!(app.sum("slot_bookings", "booked").await, 1, "only Bob's place is taken");
}
on_both_backends!(slots_reschedule_into_a_full_slot_is_refused);

/// A closure added on a booked day, and a weekly slot dropped from the calendar, never drop the
/// booking: it stays BOOKED and is listed for an agent, with why.
async fn slots_a_closure_added_later_lists_the_booking_for_an_agent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    let date = Utc::now().date_naive() + chrono::Duration::days(4);
    let mornings = |closures: Value, weekday: &str| {
        json!({ "locationCode": "ST-LYON", "timezone": "Europe/Paris", "closures": closures,
            "weekly": [{ "weekday": weekday, "start": "08:00", "end": "12:00", "capacity": 4 }] })
    };
    published(&app, mornings(json!([]), weekday_of(date))).await;
    let slot = slot_on(&app, "ST-LYON", date).await;
    let placed = place(&app, &app.agent(), order_input("ada@example.com", install_on(&slot))).await;
    assert_eq!(placed["userErrors"], json!([]), "{placed}");
    let id = placed["order"]["appointments"][0]["id"].clone();
    let none = app.admin_data(AFFECTED, json!({})).await;
    assert_eq!(none["affectedAppointments"], json!([]));

    published(&app, mornings(json!([{ "date": date, "reason": "Flooded" }]), weekday_of(date))).await;
    let listed = app.gql(Some(&app.agent()), AFFECTED, json!({})).await;
    let listed = listed["data"]["affectedAppointments"].as_array().expect("a list").clone();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["appointment"]["id"], id);
    assert_eq!(listed[0]["appointment"]["status"], "BOOKED", "never dropped");
    assert_eq!(listed[0]["locationCode"], "ST-LYON");
    assert!(listed[0]["reason"].as_str().expect("reason").contains("Flooded"), "{listed:?}");

    // The slot leaves the calendar (mornings move to another day): still listed, still booked.
    let other_day = weekday_of(date + chrono::Duration::days(1));
    published(&app, mornings(json!([]), other_day)).await;
    let listed = app.admin_data(AFFECTED, json!({})).await;
    assert_eq!(listed["affectedAppointments"][0]["reason"], "the slot left the location's calendar", "{listed}");
    assert_eq!(app.sum("slot_bookings", "booked").await, 1);
    let customer = app.gql(None, AFFECTED, json!({})).await;
    assert!(customer["errors"].is_array(), "agents only: {customer}");
}
on_both_backends!(slots_a_closure_added_later_lists_the_booking_for_an_agent);

// ---- Fulfilment --------------------------------------------------------------------------

/// A mug and its installation: delivering the mug does not deliver the order; only the
/// associate's completion, signed by the customer, fulfils the service line. A sofa delivered in
/// a window is released to its store on its release day, not at confirmation.
async fn slots_a_service_line_is_fulfilled_only_by_completion(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    app.confirm_by_hand("WEB").await;
    open_every_day(&app, "ST-LYON", 2, json!({ "leadDays": 1 })).await;
    let date = Utc::now().date_naive() + chrono::Duration::days(5);
    let slot = slot_on(&app, "ST-LYON", date).await;
    let agent = app.agent();
    let placed = place(
        &app,
        &agent,
        order_input(
            "ada@example.com",
            json!([
        { "sku": "MUG", "quantity": 1 }, { "sku": "INSTALL", "quantity": 1, "slotId": slot["id"] }]),
        ),
    )
    .await;
    assert_eq!(placed["userErrors"], json!([]), "{placed}");
    let id = placed["order"]["id"].as_str().expect("id").to_owned();
    let appointment = placed["order"]["appointments"][0]["id"].clone();
    let early = app
        .gql(
            Some(&agent),
            COMPLETE,
            json!({ "input": { "appointmentId": appointment,
        "signedBy": "Ada" } }),
        )
        .await;
    assert_eq!(
        codes(&early["data"]["completeAppointment"]),
        [("appointmentId".to_owned(), "INVALID_STATE".to_owned())]
    );
    app.confirm(&agent, &id).await;
    let fo = order(&app, &id).await["fulfillmentOrders"][0]["id"].clone();
    for (mutation, input) in [
        ("acceptFulfillmentOrder", json!({ "fulfillmentOrderId": fo })),
        ("packFulfillmentOrder", json!({ "fulfillmentOrderId": fo })),
        ("shipFulfillmentOrder", json!({ "fulfillmentOrderId": fo, "carrier": "UPS", "trackingNumber": "1Z" })),
        ("markDelivered", json!({ "fulfillmentOrderId": fo })),
    ] {
        let done = app.act(&agent, mutation, input).await;
        assert_eq!(done["userErrors"], json!([]), "{done}");
    }
    let delivered = order(&app, &id).await;
    assert_eq!(delivered["status"], "PARTIALLY_SHIPPED", "the installation is still to do: {delivered}");
    assert_eq!(delivered["lines"][1], json!({ "sku": "INSTALL", "quantity": 1, "shippedQuantity": 0 }));

    // An associate of another store cannot see it; Lyon's completes it.
    let nice = app.associate_token(&["ST-NICE"]);
    let foreign = app
        .gql(
            Some(&nice),
            COMPLETE,
            json!({ "input": { "appointmentId": appointment,
        "signedBy": "Ada" } }),
        )
        .await;
    assert_eq!(codes(&foreign["data"]["completeAppointment"]), [("appointmentId".to_owned(), "NOT_FOUND".to_owned())]);
    let lyon = app.associate_token(&["ST-LYON"]);
    let done = app
        .gql(
            Some(&lyon),
            COMPLETE,
            json!({ "input": { "appointmentId": appointment,
        "signedBy": "Ada Lovelace" } }),
        )
        .await;
    assert!(done.get("errors").is_none(), "{done}");
    let done = &done["data"]["completeAppointment"];
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(done["appointment"]["status"], "COMPLETED");
    assert_eq!(done["appointment"]["signedBy"], "Ada Lovelace");
    let finished = order(&app, &id).await;
    assert_eq!(finished["status"], "DELIVERED", "{finished}");
    assert_eq!(finished["lines"][1]["shippedQuantity"], 1);
    assert!(finished["appointments"][0]["completedAt"].is_string());
    assert!(finished["events"].as_array().expect("events").iter().any(|e| e["kind"] == "APPOINTMENT_COMPLETED"));
    let again = app
        .gql(
            Some(&lyon),
            COMPLETE,
            json!({ "input": { "appointmentId": appointment,
        "signedBy": "Ada" } }),
        )
        .await;
    assert_eq!(
        codes(&again["data"]["completeAppointment"]),
        [("appointmentId".to_owned(), "INVALID_STATE".to_owned())]
    );

    // A sofa for the slot in five days waits at its store: released on its day (less a day of
    // lead), not at confirmation.
    let sofa_slot = slots(&app, json!({ "locationCode": "ST-LYON", "skus": ["SOFA"], "from": date, "to": date })).await;
    let sofa = place(
        &app,
        &agent,
        order_input(
            "bob@example.com",
            json!([
        { "sku": "SOFA", "quantity": 1, "slotId": sofa_slot[0]["id"] }]),
        ),
    )
    .await;
    assert_eq!(sofa["userErrors"], json!([]), "{sofa}");
    let sofa_id = sofa["order"]["id"].as_str().expect("id").to_owned();
    app.confirm(&agent, &sofa_id).await;
    assert_eq!(order(&app, &sofa_id).await["fulfillmentOrders"][0]["status"], "PENDING", "held for its day");
    let released = domain::scheduling::due::release_held(&app.db, Utc::now()).await.expect("release");
    assert_eq!(released, 0, "not yet");
    let release_day = Utc::now() + chrono::Duration::days(4);
    let released = domain::scheduling::due::release_held(&app.db, release_day).await.expect("release");
    assert_eq!(released, 1);
    assert_eq!(order(&app, &sofa_id).await["fulfillmentOrders"][0]["status"], "RELEASED");
}
on_both_backends!(slots_a_service_line_is_fulfilled_only_by_completion);

// ---- Emails ------------------------------------------------------------------------------

/// Booked for tomorrow: the customer gets the booking confirmation at once and one reminder,
/// however many ticks of the appointments task run.
async fn slots_the_reminder_is_sent_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    shop(&app).await;
    app.confirm_by_hand("WEB").await;
    open_every_day(&app, "ST-LYON", 2, json!({})).await;
    let tomorrow = Utc::now().date_naive() + chrono::Duration::days(1);
    let slot = slot_on(&app, "ST-LYON", tomorrow).await;
    let placed = place(&app, &app.agent(), order_input("ada@example.com", install_on(&slot))).await;
    assert_eq!(placed["userErrors"], json!([]), "{placed}");
    let later = slot_on(&app, "ST-LYON", tomorrow + chrono::Duration::days(3)).await;
    let not_yet = place(&app, &app.agent(), order_input("bob@example.com", install_on(&later))).await;
    assert_eq!(not_yet["userErrors"], json!([]), "{not_yet}");

    let workers: Workers = app.start_workers_ticking(Duration::from_millis(200));
    app.eventually("five appointment ticks", || async {
        (app.count("job_runs WHERE kind = 'appointments' AND status = 'SUCCEEDED'").await >= 5).then_some(())
    })
    .await;
    app.settle().await;
    let reminders = app.count("notifications WHERE template = 'appointment_reminder'").await;
    assert_eq!(reminders, 1, "one reminder, for tomorrow's appointment only");
    assert_eq!(app.count("notifications WHERE template = 'appointment_reminder' AND status = 'SENT'").await, 1);
    assert_eq!(app.count("notifications WHERE template = 'appointment_booked' AND status = 'SENT'").await, 2);
    workers.stop().await;
}
on_both_backends!(slots_the_reminder_is_sent_once, multi_thread);
