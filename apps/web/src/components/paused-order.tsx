interface PausedOrderProps {
  /** Where each row drawn away from its new rank will move (marked ↑ or ↓ in the table). */
  displaced: ReadonlyArray<'up' | 'down'>;
  onShow: () => void;
}

/**
 * Said while the row order is held under the pointer or the keyboard focus: why the ranks down
 * the table are out of sequence (1, 2, 3, 4, 6 … with a 5 further down), which rows will move,
 * and a button to let them move now.
 */
export function PausedOrder({ displaced, onShow }: PausedOrderProps) {
  const n = displaced.length;
  const marks = [displaced.includes('up') ? '↑' : '', displaced.includes('down') ? '↓' : ''];
  const what =
    n === 0
      ? 'ranks have changed'
      : `${n} ${n === 1 ? 'model has' : 'models have'} a new rank (marked ${marks.filter(Boolean).join(' ')})`;
  return (
    <p className="paused-order" data-testid="order-paused">
      <span className="paused-icon" aria-hidden="true">
        ❚❚
      </span>
      <span>
        <strong>Order paused</strong> while you use the table, so rows don’t jump: {what}.
      </span>
      <button type="button" className="link-button" onClick={onShow}>
        Show new order
      </button>
    </p>
  );
}
