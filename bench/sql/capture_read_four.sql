-- pgbench script (bench/README.md, "Statements alone"): capture's first reads for an order of three
-- of the place-orders scenario's SKUs and one of its customers, as four statements, as the service made them before c8f3790.
\set a random(0, 9999)
\set b random(0, 9999)
\set c random(0, 9999)
\set k random(0, 9999)
BEGIN;
SELECT token FROM reference_version WHERE id = 1;
SELECT id, sku, name, price_minor, currency, kind, weight_grams, active, service_type, needs_appointment, created_at, updated_at FROM products WHERE sku IN ('BENCH-' || lpad(:a::text, 5, '0'), 'BENCH-' || lpad(:b::text, 5, '0'), 'BENCH-' || lpad(:c::text, 5, '0'));
SELECT id, email, name, phone, created_at, updated_at FROM customers WHERE email = 'customer' || :k || '@bench.example' LIMIT 1;
SELECT id, product_id, location_id, on_hand, reserved, safety_stock, incoming, updated_at FROM inventory_levels WHERE product_id IN (SELECT id FROM products WHERE sku IN ('BENCH-' || lpad(:a::text, 5, '0'), 'BENCH-' || lpad(:b::text, 5, '0'), 'BENCH-' || lpad(:c::text, 5, '0')));
COMMIT;
