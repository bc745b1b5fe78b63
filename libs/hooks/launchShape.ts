import { SwitchboardError, validationFailed } from '#libs/errors';
import { jsonShapeIssue, type JsonShapeLimits } from '#libs/jsonShape';

/** Levels above a call's payload in its launch event: the envelope, then event_data (its `fields` stands for the payload). */
const LEVELS_ABOVE_FIELDS = 2;

/**
 * A call's own fields go into its launch event at event_data.fields, so they must fit there: the
 * dispatcher refuses an event past the shape limits (a malformed dead letter), which would lose
 * the launch of every call merged with this one. Such a call is a 400 naming the field instead.
 */
export function checkLaunchFields(fields: Record<string, unknown>, limits: JsonShapeLimits): void {
  const issue = jsonShapeIssue(fields, { ...limits, maxDepth: limits.maxDepth - LEVELS_ABOVE_FIELDS });
  if (issue) {
    throw validationFailed([
      {
        path: issue.path,
        message: `${issue.message}: the launch event carries these fields at event_data.fields, within ${limits.maxDepth} levels`,
      },
    ]);
  }
}

/** A launch event the dispatcher would refuse is a failed launch, said so, not a published one no route sees (a resolved audience past the limits, say). */
export function checkLaunchEvent(event: object, limits: JsonShapeLimits): void {
  const issue = jsonShapeIssue(event, limits);
  if (issue)
    throw new SwitchboardError(
      'validation_failed',
      `the launch's event would be refused by the dispatcher: ${issue.path}: ${issue.message}`,
    );
}
