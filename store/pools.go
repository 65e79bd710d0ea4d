package store

import "database/sql"

// Pools returns the connection pools by name, for pool metrics: on SQLite
// a reader pool and the one-connection writer; on PostgreSQL one pool.
func (db *DB) Pools() map[string]*sql.DB {
	if db.read == db.write {
		return map[string]*sql.DB{db.d.name(): db.write}
	}
	return map[string]*sql.DB{db.d.name() + "_read": db.read, db.d.name() + "_write": db.write}
}
