export { escapeHtml, markup, joinMarkup, coordinate, cssColour, cssClassName, Markup, type MarkupValue } from './escape';
export { buildHtmlReport, type HtmlReportInput, type ReportTrajectory, type ReportNote, type ReportMessage, type ReportStep, type ReportToken, type ReportToolCall, type PaletteEntry } from './html-report';
