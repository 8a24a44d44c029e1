-- pgbench script (bench/README.md, "Statements alone"): capture's first reads for an order of three
-- of the place-orders scenario's SKUs and one of its customers, in one statement, as the service makes it on PostgreSQL.
\set a random(0, 9999)
\set b random(0, 9999)
\set c random(0, 9999)
\set k random(0, 9999)
BEGIN;
WITH p AS MATERIALIZED (SELECT * FROM products WHERE sku IN ('BENCH-' || lpad(:a::text, 5, '0'), 'BENCH-' || lpad(:b::text, 5, '0'), 'BENCH-' || lpad(:c::text, 5, '0'))) SELECT (SELECT token FROM reference_version WHERE id = 1) AS token, (SELECT coalesce(json_agg(p ORDER BY p.id), '[]')::text FROM p) AS products, (SELECT coalesce(json_agg(l ORDER BY l.id), '[]')::text FROM p CROSS JOIN LATERAL (SELECT * FROM inventory_levels l WHERE l.product_id = p.id OFFSET 0) l) AS levels, (SELECT row_to_json(c)::text FROM customers c WHERE c.email = 'customer' || :k || '@bench.example') AS customer;
COMMIT;
