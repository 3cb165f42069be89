import { NumberInput } from "@mantine/core";
import { useState } from "react";

interface Props {
  value: number;
  onChange(value: number): void;
}

// QuantileInput: the quantile (0-1) of a quantile aggregation, applied when
// the field is left or Enter is pressed.
export function QuantileInput({ value, onChange }: Props) {
  const [draft, setDraft] = useState<number | string>(value);
  const n = typeof draft === "number" ? draft : Number(draft);
  const valid = draft !== "" && Number.isFinite(n) && n >= 0 && n <= 1;
  const commit = () => {
    if (valid && n !== value) {
      onChange(n);
    }
  };
  return (
    <NumberInput
      size="xs"
      label="Quantile"
      min={0}
      max={1}
      step={0.01}
      decimalScale={4}
      value={draft}
      onChange={setDraft}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === "Enter") {
          commit();
        }
      }}
      error={valid ? undefined : "Between 0 and 1"}
      w={110}
    />
  );
}
