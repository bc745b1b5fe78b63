export { hasTemplates, isTemplated, render, renderString, type TemplateContext } from './template.js';
