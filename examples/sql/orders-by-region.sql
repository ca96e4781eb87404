-- Orders per region, for orders of at least $1.
SELECT region,
       count(*)::int    AS orders,
       sum(amount)::int AS total
  FROM orders
 WHERE amount >= $1
 GROUP BY region
 ORDER BY total DESC;
