// Application code: the rule the service itself uses when users sign up.
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
