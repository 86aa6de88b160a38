/**
 * The demo's Grad-CAM panel: a few test digits with the Grad-CAM map of the model's prediction laid over
 * each, labelled with the true label and the prediction, written as one PNG.
 * @module
 */
import type { Tensor } from '../tensor';
import type { Classifier } from '../models/lenet';
import { MNIST_MEAN, MNIST_STD } from '../data/mnist';
import { narrow } from '../ops/indexing';
import { dispose, tidy } from '../memory';
import { gradCam } from '../explain/cam';
import { overlay } from '../explain/overlay';
import { grid } from '../explain/grid';

/** Digits in `gradcam.png`. */
export const GRADCAM_DIGITS = 8;

/** Writes `file`: the first test digits (normalised MNIST, [N, 1, 32, 32]) with their Grad-CAM overlays. */
export async function writeGradcamPanel(file: string, model: Classifier, images: Tensor, labels: Tensor): Promise<void> {
  const n = Math.min(GRADCAM_DIGITS, images.shape[0]);
  const x = narrow(images, 0, 0, n).to('cpu');
  const cam = await gradCam(model, x);
  try {
    const truth = await narrow(labels, 0, 0, n).to('cpu').data();
    tidy(() => {
      const pixels = x.mul(MNIST_STD).add(MNIST_MEAN).clamp(0, 1);
      const panels = Array.from({ length: n }, (_, i) => {
        const digit = pixels.narrow(0, i, 1).squeeze(0);
        return [
          { image: digit, label: `label ${truth[i]}` },
          { image: overlay(digit, cam.maps.narrow(0, i, 1).squeeze(0), { alpha: 0.45 }), label: `pred ${cam.targets[i]}` },
        ];
      }).flat();
      grid(panels, { columns: 8, scale: 3, path: file });
    });
  } finally {
    dispose([cam, x]);
  }
}
