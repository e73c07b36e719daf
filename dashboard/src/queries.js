import { gql } from "@apollo/client";

export const CAPABILITIES = gql`
  query DashboardCapabilities {
    __schema {
      mutationType { fields { name } }
      subscriptionType { fields { name } }
    }
    viewer { id role canControlBatches }
  }
`;

export const BATCH_PROGRESS_FIELDS = gql`
  fragment BatchProgressFields on Batch {
    id
    status
    totalContacts
    pending
    queued
    inProgress
    completed
    failed
    skipped
    callsPicked
    progressPercentage
    remainingCount
    updatedAt
  }
`;

export const BATCHES = gql`
  query DashboardBatches($search: String, $status: BatchStatus, $page: Int!, $limit: Int!) {
    batches(search: $search, status: $status, page: $page, limit: $limit) {
      pagination { total page limit totalPages hasMore }
      edges {
        cursor
        node {
          ...BatchProgressFields
          name
          campaignName
          agentName
          createdAt
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
  ${BATCH_PROGRESS_FIELDS}
`;

export const BATCH = gql`
  query DashboardBatch($id: ID!) {
    batch(id: $id) {
      ...BatchProgressFields
      name
      campaignName
      agentName
      fromNumber
      callsPerMinute
      maxConcurrent
      scheduledFor
      createdAt
      startedAt
    }
  }
  ${BATCH_PROGRESS_FIELDS}
`;

export const CONTACTS = gql`
  query DashboardContacts(
    $id: ID!
    $first: Int!
    $after: String
    $filter: ContactFilter
    $search: String
    $sort: [ContactSort!]
  ) {
    batch(id: $id) {
      id
      contacts(first: $first, after: $after, filter: $filter, search: $search, sort: $sort) {
        totalCount
        edges {
          cursor
          node {
            id
            name
            phoneNumber
            company
            priority
            status
            attempts
            maxAttempts
            outcome
            durationSeconds
            lastAttemptAt
            doNotCall
            callLogs { id callStatus durationSeconds recordingUrl transcript createdAt }
          }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;

/** Used only when the schema has them (see capabilities.js). */
export const BATCH_PROGRESS_SUBSCRIPTION = gql`
  subscription DashboardBatchProgress($id: ID!) {
    batchProgress(id: $id) { ...BatchProgressFields }
  }
  ${BATCH_PROGRESS_FIELDS}
`;

export const BATCH_UPDATES_SUBSCRIPTION = gql`
  subscription DashboardBatchUpdates($status: BatchStatus) {
    batchUpdates(status: $status) { ...BatchProgressFields }
  }
  ${BATCH_PROGRESS_FIELDS}
`;

export const BATCH_ACTIONS = {
  pause: gql`
    mutation DashboardPauseBatch($id: ID!) {
      pauseBatch(id: $id) { ...BatchProgressFields }
    }
    ${BATCH_PROGRESS_FIELDS}
  `,
  resume: gql`
    mutation DashboardResumeBatch($id: ID!) {
      resumeBatch(id: $id) { ...BatchProgressFields }
    }
    ${BATCH_PROGRESS_FIELDS}
  `,
  cancel: gql`
    mutation DashboardCancelBatch($id: ID!) {
      cancelBatch(id: $id) { ...BatchProgressFields }
    }
    ${BATCH_PROGRESS_FIELDS}
  `,
};

/** The batch's latest transitions (the audit of the controls); asked only with the mutations. */
export const BATCH_EVENTS = gql`
  query DashboardBatchEvents($id: ID!) {
    batch(id: $id) {
      id
      events(first: 5) {
        totalCount
        nodes { id action fromStatus toStatus userId createdAt }
      }
    }
  }
`;
