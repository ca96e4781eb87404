const SERVICE_ACCOUNT_SUFFIX = '.gserviceaccount.com';

/**
 * The Cloud SQL database user of an IAM principal: a service account's e-mail without
 * `.gserviceaccount.com` (Cloud SQL truncates it so that it fits PostgreSQL's 63 bytes), a
 * person's or a group's e-mail as it is. A name already in that form is returned unchanged.
 *
 * @example
 * cloudSqlIamUser('app@my-project.iam.gserviceaccount.com'); // 'app@my-project.iam'
 * cloudSqlIamUser('ada@example.com'); // 'ada@example.com'
 */
export function cloudSqlIamUser(principal: string): string {
  return principal.endsWith(SERVICE_ACCOUNT_SUFFIX) ? principal.slice(0, -SERVICE_ACCOUNT_SUFFIX.length) : principal;
}
