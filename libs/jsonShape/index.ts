export {
  checkJsonShape,
  DEFAULT_JSON_SHAPE,
  jsonShapeIssue,
  jsonTextDepthIssue,
  parseShapedJson,
  type JsonShapeLimits,
  type ShapedJson,
} from './jsonShape.js';
