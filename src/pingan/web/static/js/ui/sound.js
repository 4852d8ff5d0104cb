// A short alert tone for new 特高危 warnings, synthesised in the browser (no audio files to fetch).

const KEY = 'pingan.sound';
let context = null;

export function soundEnabled() {
  try {
    return window.localStorage.getItem(KEY) !== 'off';
  } catch (e) {
    return true;
  }
}

export function setSoundEnabled(on) {
  try {
    window.localStorage.setItem(KEY, on ? 'on' : 'off');
  } catch (e) {
    /* storage disabled: the choice lasts for this page only */
  }
}

export function beep() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  // Browsers refuse audio before the user has interacted with the page; the highlight still shows.
  if (navigator.userActivation && !navigator.userActivation.hasBeenActive) return;
  try {
    if (!context) context = new Ctx();
    if (context.state === 'suspended') context.resume();
    const t = context.currentTime;
    [0, 0.22].forEach((offset) => {
      const osc = context.createOscillator();
      const gain = context.createGain();
      osc.type = 'sine';
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, t + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, t + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + offset + 0.18);
      osc.connect(gain).connect(context.destination);
      osc.start(t + offset);
      osc.stop(t + offset + 0.2);
    });
  } catch (e) {
    /* audio is a courtesy; the highlight and the title count still show */
  }
}
