"""Transport-neutral pieces every layer uses (GraphQL, REST, the data layer, start-up): the
settings, the domain errors, paging arithmetic and the checks of client-given values. Imports
nothing of `db`, `schema` or `web`."""
