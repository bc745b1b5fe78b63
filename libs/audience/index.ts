export { Audience, Scalar, selectAudience } from './audience.js';
export { audienceFromLists, VariableName, variablesFromLists, XeniooLists, type ListIssue, type VariableValues } from './xenioo.js';
