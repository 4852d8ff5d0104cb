// Where the phone is, from the browser. Browsers report WGS84 (GPS) coordinates, so requests say crs=wgs84.

const CACHE_MS = 5 * 60 * 1000;
let last = null; // {lon, lat, accuracy, at}

export function canLocate() {
  return typeof navigator !== 'undefined' && Boolean(navigator.geolocation);
}

/** Resolves {lon, lat, accuracy} or rejects with an Error whose message can be shown. */
export function locate(options) {
  const opts = options || {};
  if (last && Date.now() - last.at < CACHE_MS && !opts.fresh) return Promise.resolve(last);
  return new Promise((resolve, reject) => {
    if (!canLocate()) {
      reject(new Error('此浏览器不能定位，请填写地址'));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        last = {
          lon: Number(pos.coords.longitude.toFixed(6)),
          lat: Number(pos.coords.latitude.toFixed(6)),
          accuracy: Math.round(pos.coords.accuracy || 0),
          at: Date.now(),
        };
        resolve(last);
      },
      (err) => {
        const denied = err && err.code === 1;
        reject(new Error(denied ? '未允许定位，请在浏览器设置中允许，或填写地址' : '暂时无法定位，请稍后再试或填写地址'));
      },
      { enableHighAccuracy: true, timeout: opts.timeout || 10000, maximumAge: 60000 },
    );
  });
}
