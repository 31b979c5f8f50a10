/** The `/change new` modal's state as Slack submits it (block id -> action id -> value). */
export interface NewChangeForm {
  readonly code: string;
  readonly title: string;
  readonly group: string;
  readonly devices: readonly string[];
  readonly script: string;
  readonly windowStart: Date;
  readonly windowEnd: Date;
}

export const NEW_CHANGE_CALLBACK_ID = 'new_change';

export function newChangeFormValues(form: NewChangeForm) {
  return {
    code: { value: { type: 'plain_text_input', value: form.code } },
    title: { value: { type: 'plain_text_input', value: form.title } },
    description: { value: { type: 'plain_text_input', value: '' } },
    windowStart: { value: { type: 'datetimepicker', selected_date_time: Math.floor(form.windowStart.getTime() / 1000) } },
    windowEnd: { value: { type: 'datetimepicker', selected_date_time: Math.floor(form.windowEnd.getTime() / 1000) } },
    group: { new_change_group: { type: 'static_select', selected_option: { value: form.group } } },
    [`devices:${form.group}`]: { value: { type: 'multi_static_select', selected_options: form.devices.map((value) => ({ value })) } },
    script: { value: { type: 'plain_text_input', value: form.script } },
  };
}

/** The modal's private metadata: which block holds the device select. */
export function newChangeFormMetadata(form: NewChangeForm): string {
  return JSON.stringify({ devicesBlock: `devices:${form.group}` });
}
