export { Audience, AudienceCondition, audienceMatcher, FieldName, Join, MAX_CONDITIONS, Scalar, selectAudience } from './audience.js';
export { CRITERIA, criterionNamed, CriterionSchema, holds, type Criterion, type FieldValue } from './criteria.js';
export { CONTACT_FIELDS } from './fields.js';
export { audienceFromLists, MAX_ENTRIES, VariableName, variablesFromLists, XeniooLists, type ListIssue, type VariableValues } from './xenioo.js';
