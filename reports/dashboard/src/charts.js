// Chart.js set-up shared by the views: one palette (a variant keeps its
// colour in every view), no animation (a chart is complete as soon as it is
// created, for people and for the browser test), and a registry of every
// chart drawn so the test can check each one.
import { Chart, registerables } from 'chart.js';
import { el } from './dom.js';

Chart.register(...registerables);
Chart.defaults.animation = false;
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.font.size = 11;
Chart.defaults.color = '#333';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];

export function colourOf(index) {
  return PALETTE[index % PALETTE.length];
}

// Colours keyed by variant name in the order the site lists the variants.
export function variantColours(variants) {
  const colours = new Map();
  variants.forEach((variant, i) => colours.set(variant, colourOf(i)));
  return (variant) => colours.get(variant) ?? colourOf(colours.size);
}

// Log-axis ticks labelled only at 1, 2 and 5 times a power of ten, so
// neighbouring labels do not overlap.
export function logTickLabel(value) {
  const mantissa = value / 10 ** Math.floor(Math.log10(value) + 1e-9);
  return [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6) ? Number(value.toPrecision(6)).toString() : '';
}

const charts = [];

// A chart in its own box (Chart.js sizes a responsive chart from its
// container, so the box has a fixed height). `view` names the section it
// belongs to.
export function addChart(parent, view, title, config, { height = 260, className = 'chart' } = {}) {
  const canvas = el('canvas', { role: 'img', title, id: `chart-${charts.length}` });
  const box = el('figure', { class: className }, [
    title ? el('figcaption', { text: title }) : null,
    el('div', { class: 'canvas-box' }, [canvas]),
  ]);
  box.querySelector('.canvas-box').style.height = `${height}px`;
  parent.append(box);
  config.options = { responsive: true, maintainAspectRatio: false, ...config.options };
  const chart = new Chart(canvas, config);
  charts.push({ view, title, chart });
  return chart;
}

// What the browser test reads: per chart, its view, title, datasets with
// their number of drawn points and colours, and the drawing area.
export function chartRegistry() {
  return charts.map(({ view, title, chart }) => ({
    view,
    title,
    canvasId: chart.canvas.id,
    chartArea: chart.chartArea && { ...chart.chartArea },
    datasets: chart.data.datasets.map((dataset, i) => {
      const meta = chart.getDatasetMeta(i);
      const drawn = meta.data.filter((element, j) => {
        const value = dataset.data[j];
        const missing = value === null || value === undefined || (typeof value === 'object' && !Array.isArray(value) && value.y === null);
        return !missing && Number.isFinite(element.x) && Number.isFinite(element.y);
      }).length;
      return {
        label: dataset.label,
        points: dataset.data.length,
        drawn,
        hidden: !chart.isDatasetVisible(i),
        colours: [dataset.borderColor, dataset.backgroundColor].flat().filter((c) => typeof c === 'string'),
      };
    }),
  }));
}
