import { createContext, useContext } from "react";

/**
 * What the server's schema offers beyond the read API, found by introspection once per sign-in:
 * live progress (subscriptions `batchProgress`/`batchUpdates`) and batch control (mutations
 * `pauseBatch`/`resumeBatch`/`cancelBatch`). Without them the dashboard polls and shows no buttons;
 * `live: false` (the page's `?live=0`) makes it poll even when the server could push.
 * `mayControl`: whether the signed-in user may use those mutations (`viewer.canControlBatches`);
 * a viewer is shown why there are no buttons instead of being refused after a click.
 */
export function capabilitiesFrom(schema, { live = true, viewer = null } = {}) {
  const names = (type) => new Set((type?.fields ?? []).map((field) => field.name));
  const mutations = names(schema?.mutationType);
  const subscriptions = names(schema?.subscriptionType);
  return {
    liveBatch: live && subscriptions.has("batchProgress"),
    liveBatchList: live && subscriptions.has("batchUpdates"),
    mayControl: viewer?.canControlBatches ?? false,
    actions: {
      pause: mutations.has("pauseBatch"),
      resume: mutations.has("resumeBatch"),
      cancel: mutations.has("cancelBatch"),
    },
  };
}

export const NO_CAPABILITIES = capabilitiesFrom(null);

export const CapabilitiesContext = createContext(NO_CAPABILITIES);

export function useCapabilities() {
  return useContext(CapabilitiesContext);
}

/** False when the page's URL asks for polling instead of live updates (`?live=0`). */
export function liveWanted() {
  return new URLSearchParams(window.location.search).get("live") !== "0";
}

/** Milliseconds between refreshes while progress is polled; `?poll=<ms>` overrides it. */
export function pollInterval() {
  const asked = Number(new URLSearchParams(window.location.search).get("poll"));
  return Number.isFinite(asked) && asked >= 500 ? asked : 3000;
}
