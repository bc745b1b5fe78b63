export { isTemplated, render, renderString, type TemplateContext } from './template.js';
