import { useState } from "react";

/** Asks once per browser tab for the bearer token `python app.py` prints. */
export function TokenForm({ onToken, problem }) {
  const [value, setValue] = useState("");
  const submit = (event) => {
    event.preventDefault();
    const token = value.trim().replace(/^Authorization:\s*/i, "").replace(/^Bearer\s+/i, "");
    if (token) onToken(token);
  };
  return (
    <main className="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Call batches</h1>
        <p>
          Paste your API token. <code>python app.py</code> prints one for the demo user as{" "}
          <code>Authorization: Bearer …</code>; the whole line works too. It is kept in this tab's
          session storage only.
        </p>
        <label htmlFor="token">Bearer token</label>
        <textarea
          id="token"
          name="token"
          rows={4}
          autoComplete="off"
          spellCheck={false}
          value={value}
          onChange={(event) => setValue(event.target.value)}
        />
        {problem && (
          <p className="error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" disabled={!value.trim()}>
          Open dashboard
        </button>
      </form>
    </main>
  );
}
