import { formatDuration, formatTime } from "./format.js";

/** Recording URLs come from the dialer's rows: link only http(s), never `javascript:` and the like. */
function webAddress(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** A contact's call attempts, oldest first, with the recording and the transcript of each. */
export function CallLogs({ logs }) {
  return (
    <table className="call-logs">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Result</th>
          <th scope="col" className="number">Duration</th>
          <th scope="col">Recording</th>
          <th scope="col">Transcript</th>
        </tr>
      </thead>
      <tbody>
        {logs.map((log) => (
          <tr key={log.id}>
            <td>{formatTime(log.createdAt)}</td>
            <td>{log.callStatus}</td>
            <td className="number">{formatDuration(log.durationSeconds)}</td>
            <td>
              {webAddress(log.recordingUrl) ? (
                <a href={webAddress(log.recordingUrl)} target="_blank" rel="noopener noreferrer">
                  Recording
                </a>
              ) : (
                (log.recordingUrl ?? "—")
              )}
            </td>
            <td className="transcript">
              {log.transcript ? (
                <details>
                  <summary>Transcript</summary>
                  <pre>{log.transcript}</pre>
                </details>
              ) : (
                "—"
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
