import type { PlannedLineRisk } from '../../domain/change/changeRisk.js';

export interface ScriptLineView {
  readonly lineNo: number;
  readonly text: string;
  readonly comment: boolean;
  readonly risk: string | undefined;
  readonly ruleIds: readonly string[];
}

/** The script as filed, line by line, with the risk the rules give each planned line. */
export function plannedScriptView(script: string, risks: readonly PlannedLineRisk[]): ScriptLineView[] {
  const byLine = new Map(risks.map((r) => [r.lineNo, r]));
  return script
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((text, index) => {
      const risk = byLine.get(index + 1);
      const trimmed = text.trim();
      return { lineNo: index + 1, text, comment: trimmed === '' || trimmed.startsWith('#'), risk: risk?.risk, ruleIds: risk?.ruleIds ?? [] };
    });
}
