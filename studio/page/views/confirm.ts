import { ApiError, post, type ActionPreview } from '../api.js';
import { h, toast } from '../dom.js';

/**
 * Runs a write action in two steps: asks the server what it would write
 * (`<action>/preview`), shows that in a dialog, and only on "Write it" sends
 * the action with the sequence the preview promised.
 */
export async function confirmAction(
  action: 'rollback' | 'quarantine-restore',
  body: Record<string, unknown>,
  title: string,
): Promise<unknown> {
  let preview: ActionPreview;
  try {
    preview = await post<ActionPreview>(`${action}/preview`, body);
  } catch (error) {
    toast(error instanceof ApiError ? error.message : String(error), 'error');
    return undefined;
  }
  const dialog = document.getElementById('confirm') as HTMLDialogElement;
  return new Promise((resolve) => {
    const close = (value: unknown) => {
      dialog.close();
      resolve(value);
    };
    const go = h(
      'button',
      { class: 'btn danger', type: 'button', id: 'confirm-write', disabled: !preview.allowed },
      'Write it',
    );
    go.addEventListener('click', () => {
      go.setAttribute('disabled', '');
      post(action, { ...body, nextSeq: preview.nextSeq }).then(
        (result) => {
          toast(`Written as generation #${(result as { seq?: number }).seq ?? preview.nextSeq}`, 'ok');
          close(result);
        },
        (error: unknown) => {
          toast(error instanceof ApiError ? error.message : String(error), 'error');
          close(undefined);
        },
      );
    });
    dialog.replaceChildren(
      h(
        'form',
        { method: 'dialog', class: 'confirm' },
        h('h2', {}, title),
        h('p', { id: 'confirm-text' }, preview.text),
        preview.warnings.map((w) => h('p', { class: 'warn-text' }, `⚠ ${w}`)),
        h(
          'div',
          { class: 'actions' },
          h('button', { class: 'btn', type: 'button', onclick: () => close(undefined) }, 'Cancel'),
          go,
        ),
      ),
    );
    dialog.showModal();
  });
}
