/**
 * What is wrong with an address as sent, given its normalised form: Vonage takes addresses only
 * in their canonical form, so "+44 7700..." is as wrong as "hello".
 */
export function addressProblem(
  normalized: { ok: true; value: string } | { ok: false; message: string },
  given: string,
): string | undefined {
  if (!normalized.ok) return normalized.message;
  return normalized.value === given ? undefined : `must be E.164 digits without a leading + or 00 or spaces, e.g. ${normalized.value}`;
}
