const HOUR = 3600_000;

export interface NewChangeForm {
  code?: string;
  title?: string;
  description?: string;
  start?: Date;
  end?: Date;
  group?: string;
  devices?: string[];
  script?: string;
  /** The Emergency box ticked. */
  emergency?: boolean;
}

/** The new-change modal's state as Slack submits it, and its private metadata. */
export function newChangeFormValues(form: NewChangeForm) {
  const start = form.start ?? new Date(Date.now() + HOUR);
  const end = form.end ?? new Date(start.getTime() + 2 * HOUR);
  const group = form.group ?? 'web-ops';
  return {
    values: {
      code: { value: { type: 'plain_text_input', value: form.code ?? '' } },
      title: { value: { type: 'plain_text_input', value: form.title ?? 'Reload nginx' } },
      description: { value: { type: 'plain_text_input', value: form.description ?? 'Pick up the new certificate' } },
      windowStart: { value: { type: 'datetimepicker', selected_date_time: Math.floor(start.getTime() / 1000) } },
      windowEnd: { value: { type: 'datetimepicker', selected_date_time: Math.floor(end.getTime() / 1000) } },
      group: { new_change_group: { type: 'static_select', selected_option: { value: group, text: { type: 'plain_text', text: group } } } },
      [`devices:${group}`]: { value: { type: 'multi_static_select', selected_options: (form.devices ?? ['web01']).map((d) => ({ value: d })) } },
      script: { value: { type: 'plain_text_input', value: form.script ?? 'cp /tmp/new.pem /etc/nginx/tls.pem\nsystemctl reload nginx' } },
      emergency: { value: { type: 'checkboxes', selected_options: form.emergency ? [{ value: 'yes' }] : [] } },
    },
    metadata: JSON.stringify({ devicesBlock: `devices:${group}` }),
  };
}
