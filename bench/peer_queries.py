"""Q1 to Q4 as PostGraphile v4 queries returning the same rows as the API's (bench/queries.py).

PostGraphile connects as the database owner, so where the API's row-level security limits Q1 to
the signed-in user's agency, Q1 here says `condition: {agencyId}`. The batch summary comes from
the same view (`v_call_batch_summary`) as a second root field; contacts and call logs follow the
foreign keys, ordered as the API orders them (`created_at, id`). `totalCount` of the contacts is
PostGraphile's own `count(*)` over the connection (it does not know the counters table), and Q3's
search is the API's (`search_text @~~ lower('%term%')`, added by bench/peer/server.js).
"""

from __future__ import annotations

BATCH_FIELDS = (
    "id name status totalContacts pending queued inProgress completed failed skipped "
    "callsPicked progressPercentage remainingCount createdAt"
)
CONTACT_FIELDS = (
    "id firstName lastName phoneNumber email status priority attempts outcome lastAttemptAt "
    "createdAt"
)
LOG_FIELDS = "id callStatus durationSeconds recordingUrl createdAt"
ORDER = "orderBy: [CREATED_AT_ASC, ID_ASC]"

PAGE = (
    f"totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {CONTACT_FIELDS} "
    f"callLogsByContactIdAndAgencyId({ORDER}) {{ nodes {{ {LOG_FIELDS} }} }} }}"
)

Q1 = f"""query($agency: UUID!) {{
  allVCallBatchSummaries(condition: {{agencyId: $agency}}, orderBy: [CREATED_AT_DESC, ID_DESC],
    first: 25) {{ totalCount nodes {{ {BATCH_FIELDS} }} }} }}"""

Q2 = f"""query($id: UUID!) {{
  allVCallBatchSummaries(condition: {{id: $id}}) {{ nodes {{ {BATCH_FIELDS} }} }}
  callBatchById(id: $id) {{
    campaignContactsByBatchIdAndAgencyId(first: 50, {ORDER}) {{ {PAGE} }} }} }}"""

Q3 = f"""query($id: UUID!, $search: String!) {{
  callBatchById(id: $id) {{ id
    campaignContactsByBatchIdAndAgencyId(first: 50, {ORDER},
      condition: {{status: "completed", search: $search}}) {{ {PAGE} }} }} }}"""

Q4 = f"""query($id: UUID!, $after: Cursor) {{
  allVCallBatchSummaries(condition: {{id: $id}}) {{ nodes {{ {BATCH_FIELDS} }} }}
  callBatchById(id: $id) {{
    campaignContactsByBatchIdAndAgencyId(first: 50, after: $after, {ORDER}) {{ {PAGE} }} }} }}"""

CURSOR_AT = f"""query($id: UUID!, $offset: Int!) {{
  callBatchById(id: $id) {{
    campaignContactsByBatchIdAndAgencyId(first: 1, offset: $offset, {ORDER}) {{
      pageInfo {{ endCursor }} }} }} }}"""
"""PostGraphile's cursor after the first `offset + 1` contacts: Q4 starts where the API's does."""
