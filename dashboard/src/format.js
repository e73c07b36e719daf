const integer = new Intl.NumberFormat();
const percent = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export const formatCount = (value) => (value === null || value === undefined ? "—" : integer.format(value));
export const formatPercent = (value) => `${percent.format(value)} %`;

export function formatTime(value) {
  if (!value) return "—";
  return new Date(value).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

export const words = (enumValue) => enumValue.toLowerCase().replaceAll("_", " ");

export function errorMessage(error) {
  const graphQLErrors = error?.errors ?? [];
  if (graphQLErrors.length) return graphQLErrors.map((e) => e.message).join("; ");
  return error?.message ?? String(error);
}

export function errorCodes(error) {
  return (error?.errors ?? []).map((e) => e.extensions?.code).filter(Boolean);
}
