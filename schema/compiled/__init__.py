"""The compiled read path: a validated query planned into one SQL statement per root field
(`db.compiled`), whose JSON PostgreSQL builds; anything it does not cover is answered by the
resolvers, which stay the reference (`reads.CompiledReads`)."""
