/** What differs between the admin pages; the rest of the shell is shared. */
export interface AdminPageOptions {
  /** The page title, also its heading. */
  title: string;
  /** Extra `<head>` lines after the shared `/admin/admin.css` (stylesheets, the page's script). */
  head: string[];
  /** The link to the other admin page. */
  nav: { href: string; label: string };
  /** Hide the token form until the page's script has looked for a stored token. @default false */
  loginHidden?: boolean;
  /** The markup inside `<main id="content">` (hidden until signed in). */
  main: string;
}

/**
 * An admin page: the head, the header with `#status` and `#sign-out`, the token form (`#login`,
 * `#token`) and `#content`, the ids every admin script signs in with. No inline script or style,
 * so the page works under the admin CSP.
 */
export function adminPage(options: AdminPageOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${options.title}</title>
<link rel="stylesheet" href="/admin/admin.css">
${options.head.join('\n')}
</head>
<body>
<header>
<h1>${options.title}</h1>
<nav><a href="${options.nav.href}">${options.nav.label}</a></nav>
<p id="status" role="status">not signed in</p>
<button type="button" id="sign-out" hidden>Forget token</button>
</header>
<form id="login"${options.loginHidden ? ' hidden' : ''}>
<label for="token">Admin token (ADMIN_TOKEN)</label>
<input id="token" name="token" type="password" autocomplete="off" required minlength="16">
<button type="submit">Show</button>
<p class="hint">The token stays in this tab only (sessionStorage) and is sent as a Bearer header.</p>
</form>
<main id="content" hidden>
${options.main}
</main>
</body>
</html>
`;
}
