import { useId, useState } from 'react';
import { settingSchema } from '../../core/settings';

type NumericSettingKey = 'beta' | 'k' | 'colourRange' | 'contextTokens';

/**
 * A numeric setting's field. What is typed is checked by the setting's own schema
 * (src/core/settings/analysis.ts: its bounds, integer or not); a value it refuses stays in the field
 * with the schema's message beside it (aria-invalid), and the last valid value stays in effect.
 */
export function NumberSetting({
  setting,
  label,
  title,
  value,
  onValid,
  min,
  max,
  step,
}: {
  setting: NumericSettingKey;
  label: string;
  title: string;
  value: number;
  onValid(value: number): void;
  min: number;
  max: number;
  step: number;
}) {
  // The text being typed, while it differs from the value in effect (null: show the value).
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const errorId = useId();
  const onChange = (text: string) => {
    const parsed = settingSchema(setting).safeParse(text.trim() === '' ? Number.NaN : Number(text));
    if (parsed.success) {
      setDraft(null);
      setError(null);
      onValid(parsed.data as number);
    } else {
      setDraft(text);
      setError(parsed.error.issues[0]?.message ?? 'not a valid value');
    }
  };
  return (
    <span className="number-setting">
      <label title={title}>
        {label}{' '}
        <input
          data-testid={`setting-${setting === 'colourRange' ? 'colour-range' : setting}`}
          type="number"
          min={min}
          max={max}
          step={step}
          value={draft ?? value}
          aria-invalid={error !== null}
          aria-describedby={error !== null ? errorId : undefined}
          onChange={(e) => onChange(e.currentTarget.value)}
          onBlur={() => error === null && setDraft(null)}
        />
      </label>
      {error !== null && (
        <span id={errorId} className="setting-error" role="alert" data-testid={`setting-error-${setting}`}>
          {error} — still {value}
        </span>
      )}
    </span>
  );
}
