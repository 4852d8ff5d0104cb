// Photos and voice notes to send with a request: photos shrunk on the phone when large, voice recorded
// with MediaRecorder where the browser has it (else an audio file is picked).

const MAX_SIDE = 2048;
const SHRINK_OVER = 1.5 * 1024 * 1024;
export const MAX_FILES = 6;
const MAX_SECONDS = 120;

function loadImage(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => {
      URL.revokeObjectURL(url);
      resolve(img);
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('无法读取这张图片'));
    };
    img.src = url;
  });
}

/** A photo ready to send: large ones are redrawn as JPEG no wider than 2048 px. */
export async function preparePhoto(file) {
  if (file.size <= SHRINK_OVER && /^image\/(jpeg|png|webp)$/.test(file.type)) return file;
  const img = await loadImage(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(img.naturalWidth * scale);
  canvas.height = Math.round(img.naturalHeight * scale);
  canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
  if (!blob) throw new Error('图片处理失败');
  return new File([blob], (file.name || 'photo').replace(/\.\w+$/, '') + '.jpg', { type: 'image/jpeg' });
}

export function canRecord() {
  return typeof window.MediaRecorder === 'function' && Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

function recordingType() {
  const types = ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4'];
  return types.find((t) => window.MediaRecorder.isTypeSupported && window.MediaRecorder.isTypeSupported(t)) || '';
}

/**
 * Start recording: resolves {stop() → Promise<File>, cancel(), seconds()}; stops by itself after two minutes.
 * Rejects with a message when the microphone is refused or missing.
 */
export async function startRecording(onTick) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (e) {
    throw new Error(e && e.name === 'NotAllowedError' ? '未允许使用麦克风，可改为选择录音文件' : '无法使用麦克风，可改为选择录音文件');
  }
  const type = recordingType();
  const recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
  const chunks = [];
  const started = Date.now();
  let done = null;
  const finished = new Promise((resolve) => {
    done = resolve;
  });
  recorder.ondataavailable = (e) => {
    if (e.data && e.data.size) chunks.push(e.data);
  };
  recorder.onstop = () => {
    stream.getTracks().forEach((t) => t.stop());
    done();
  };
  const seconds = () => Math.floor((Date.now() - started) / 1000);
  const ticker = setInterval(() => {
    if (onTick) onTick(seconds());
    if (seconds() >= MAX_SECONDS && recorder.state === 'recording') recorder.stop();
  }, 250);
  recorder.start();
  return {
    seconds,
    async stop() {
      clearInterval(ticker);
      if (recorder.state === 'recording') recorder.stop();
      await finished;
      const mime = (recorder.mimeType || type || 'audio/webm').split(';')[0];
      const ext = mime === 'audio/mp4' ? 'm4a' : mime === 'audio/ogg' ? 'ogg' : 'webm';
      return new File(chunks, 'voice.' + ext, { type: mime });
    },
    cancel() {
      clearInterval(ticker);
      if (recorder.state === 'recording') recorder.stop();
    },
  };
}

/** 0:07 */
export function clock(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m + ':' + (s < 10 ? '0' : '') + s;
}
