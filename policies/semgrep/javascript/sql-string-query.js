async function findOrders(db, customerId, sort) {
  // ruleid: idp.javascript.sql-string-query
  const rows = await db.query(`SELECT * FROM orders WHERE customer = ${customerId}`);
  // ruleid: idp.javascript.sql-string-query
  await db.query("SELECT * FROM orders ORDER BY " + sort);
  const sql = "DELETE FROM orders WHERE id = " + customerId;
  // ruleid: idp.javascript.sql-string-query
  await db.execute(sql);
  // ok: idp.javascript.sql-string-query
  await db.query('SELECT * FROM orders WHERE customer = $1', [customerId]);
  // ok: idp.javascript.sql-string-query
  await db.query(`SELECT count(*) FROM orders`);
  return rows;
}

module.exports = { findOrders };
