// 我要求助: a category (the emergency one shows the 110 notice at once), a topic, the text, photos and a
// voice note, and where (the phone's location, sent as WGS84, and/or an address). Sent as multipart.

import { h, icon, replace } from '../../../js/dom.js';
import { navigate } from '../../../js/router.js';
import { api } from '../api.js';
import { canLocate, locate } from '../geo.js';
import { CATEGORIES, category } from '../labels.js';
import { MAX_FILES, canRecord, clock, preparePhoto, startRecording } from '../media.js';
import { busy, call110, toast } from '../ui.js';
import { countyMap, pinPicker } from '../../../js/ui/map.js';

const MAX_TEXT = 2000;

function clientRef() {
  const bytes = new Uint8Array(12);
  window.crypto.getRandomValues(bytes);
  return 'web-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export default {
  title: '我要求助',
  back: true,
  mount(root, ctx, params, query) {
    const state = {
      category: CATEGORIES.some((c) => c.value === query.c) ? query.c : null,
      topic: null,
      photos: [], // {file, url}
      voice: null, // {file, url}
      point: null, // {lon, lat, accuracy}
      ref: clientRef(),
      // Written from an officer's card: the message goes to that officer, wherever the resident stands.
      officer: /^\d+$/.test(query.officer || '') ? query.officer : null,
    };
    let recording = null;
    const urls = [];

    const tiles = CATEGORIES.map((c) =>
      h(
        'button',
        { type: 'button', class: ['cat-tile', 'tone-' + c.tone], dataset: { category: c.value }, 'aria-pressed': 'false', onclick: () => choose(c.value) },
        h('span', { class: 'cat-icon' }, icon(c.icon)),
        h('span', { class: 'cat-name' }, c.name),
      ),
    );
    const emergencyBox = h('div', { class: 'emergency-box', hidden: true });
    const hintBox = h('p', { class: 'cat-hint', hidden: true });
    const topicBox = h('div', { class: 'topics', role: 'group', 'aria-label': '主题', hidden: true });
    const text = h('textarea', { class: 'input textarea', name: 'text', rows: '5', maxlength: String(MAX_TEXT), placeholder: '请描述您的问题', 'aria-label': '诉求内容' });
    const counter = h('span', { class: 'counter' }, '0/' + MAX_TEXT);
    text.addEventListener('input', () => {
      replace(counter, text.value.length + '/' + MAX_TEXT);
      if (error.dataset.field === 'text' && text.value.trim()) showError(''); // the problem is fixed: say no more
    });

    const photoInput = h('input', { type: 'file', accept: 'image/*', multiple: true, class: 'visually-hidden', name: 'photos', 'aria-label': '添加照片' });
    photoInput.addEventListener('change', () => addPhotos(Array.from(photoInput.files || [])));
    const audioInput = h('input', { type: 'file', accept: 'audio/*', class: 'visually-hidden', name: 'voice', 'aria-label': '选择录音' });
    audioInput.addEventListener('change', () => {
      const f = audioInput.files && audioInput.files[0];
      if (f) setVoice(f);
      audioInput.value = '';
    });
    const attachList = h('div', { class: 'attachments' });
    const recordBtn = h('button', { type: 'button', class: 'attach-btn', onclick: toggleRecording }, icon('mic'), h('span', null, '录语音'));
    const attachBar = h(
      'div',
      { class: 'attach-bar' },
      h('label', { class: 'attach-btn' }, icon('camera'), h('span', null, '拍照/相册'), photoInput),
      canRecord() ? recordBtn : h('label', { class: 'attach-btn' }, icon('mic'), h('span', null, '选择录音'), audioInput),
    );

    const locateBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-locate', onclick: useLocation, disabled: !canLocate() }, icon('pin'), '使用我的位置');
    const locateStatus = h('span', { class: 'locate-status' }, canLocate() ? '尚未定位' : '此浏览器不能定位');
    const pickBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-pick', onclick: () => showPicker() }, icon('pin'), '在地图上选点');
    const pickerBox = h('div', { class: 'picker-map', hidden: true, role: 'region', 'aria-label': '选择位置的地图' });
    const pickerNote = h('p', { class: 'picker-station', hidden: true, 'aria-live': 'polite' });
    let picker = null; // {handle, pin}
    const unitOf = {}; // station area id → its 派出所's name
    let lookupSeq = 0;
    const address = h('input', { type: 'text', class: 'input', name: 'address', maxlength: '255', placeholder: '或填写地址，如：丹东街道东门社区中街12号', 'aria-label': '地址' });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block btn-lg' }, '提交');

    const form = h(
      'form',
      { class: 'compose', novalidate: true, onsubmit: send },
      state.officer ? h('p', { class: 'compose-to', dataset: { officer: state.officer } }, '留言给：', h('strong', null, query.to || '我的社区民警')) : null,
      h('section', { class: 'card' }, h('h2', { class: 'card-title' }, '选择类别'), h('div', { class: 'cat-grid' }, tiles), emergencyBox, hintBox, topicBox),
      h('section', { class: 'card' }, h('h2', { class: 'card-title' }, '描述情况'), text, h('div', { class: 'text-foot' }, counter), attachBar, attachList),
      h(
        'section',
        { class: 'card' },
        h('h2', { class: 'card-title' }, '位置'),
        h('div', { class: 'locate-row' }, locateBtn, locateStatus),
        h('div', { class: 'locate-row' }, pickBtn),
        pickerBox,
        pickerNote,
        address,
      ),
      error,
      submit,
      h('p', { class: 'compose-note' }, '提交后可在“我的诉求”查看处理进度和民警答复。'),
    );
    replace(root, form);
    if (state.category) choose(state.category);

    function choose(value) {
      if (!state.category && !error.hidden && !error.dataset.field) showError(''); // "请先选择类别" is answered
      state.category = value;
      state.topic = null;
      const c = category(value);
      tiles.forEach((t) => {
        const on = t.dataset.category === value;
        t.classList.toggle('is-on', on);
        t.setAttribute('aria-pressed', String(on));
      });
      const emergency = value === 'emergency';
      emergencyBox.hidden = !emergency;
      replace(emergencyBox, emergency ? call110('您仍可以在下面留言并提交，属地派出所会同时收到。') : null);
      hintBox.hidden = !c.hint;
      replace(hintBox, c.hint || '');
      topicBox.hidden = !c.topics.length;
      replace(
        topicBox,
        c.topics.map((t) =>
          h(
            'button',
            {
              type: 'button',
              class: 'topic',
              dataset: { topic: t.value },
              'aria-pressed': 'false',
              onclick: (e) => {
                state.topic = state.topic === t.value ? null : t.value;
                Array.from(topicBox.children).forEach((b) => {
                  const on = b.dataset.topic === state.topic;
                  b.classList.toggle('is-on', on);
                  b.setAttribute('aria-pressed', String(on));
                });
                e.currentTarget.blur();
              },
            },
            t.name,
          ),
        ),
      );
      text.placeholder = c.placeholder || '请描述您的问题';
      submit.classList.toggle('btn-danger', emergency);
      replace(submit, emergency ? '提交紧急求助' : '提交');
      if (emergency) emergencyBox.scrollIntoView({ block: 'nearest' });
    }

    function fileCount() {
      return state.photos.length + (state.voice ? 1 : 0);
    }

    async function addPhotos(files) {
      photoInput.value = '';
      for (const file of files) {
        if (fileCount() >= MAX_FILES) {
          toast('最多添加' + MAX_FILES + '个文件', 'error');
          break;
        }
        try {
          const ready = await preparePhoto(file);
          const url = URL.createObjectURL(ready);
          urls.push(url);
          state.photos.push({ file: ready, url });
        } catch (e) {
          toast(e.message, 'error');
        }
      }
      renderAttachments();
    }

    function setVoice(file) {
      if (error.dataset.field === 'text') showError(''); // a voice note is content too
      if (!state.voice && fileCount() >= MAX_FILES) {
        toast('最多添加' + MAX_FILES + '个文件', 'error');
        return;
      }
      const url = URL.createObjectURL(file);
      urls.push(url);
      state.voice = { file, url };
      renderAttachments();
    }

    async function toggleRecording() {
      if (recording) {
        const file = await recording.stop();
        recording = null;
        recordBtn.classList.remove('is-recording');
        replace(recordBtn, icon('mic'), h('span', null, '重新录音'));
        if (file.size) setVoice(file);
        return;
      }
      try {
        recording = await startRecording((s) => replace(recordBtn, icon('stop'), h('span', null, '停止 ' + clock(s))));
        recordBtn.classList.add('is-recording');
        replace(recordBtn, icon('stop'), h('span', null, '停止 0:00'));
      } catch (e) {
        toast(e.message, 'error');
        attachBar.replaceChild(h('label', { class: 'attach-btn' }, icon('mic'), h('span', null, '选择录音'), audioInput), recordBtn);
      }
    }

    function renderAttachments() {
      replace(
        attachList,
        state.photos.map((p, i) =>
          h(
            'div',
            { class: 'thumb' },
            h('img', { src: p.url, alt: '照片' + (i + 1) }),
            h(
              'button',
              {
                type: 'button',
                class: 'thumb-remove',
                'aria-label': '移除照片' + (i + 1),
                onclick: () => {
                  state.photos.splice(i, 1);
                  renderAttachments();
                },
              },
              icon('close'),
            ),
          ),
        ),
        state.voice
          ? h(
              'div',
              { class: 'voice' },
              icon('mic', 'voice-icon'),
              h('audio', { src: state.voice.url, controls: true, preload: 'metadata' }),
              h(
                'button',
                {
                  type: 'button',
                  class: 'thumb-remove voice-remove',
                  'aria-label': '删除语音',
                  onclick: () => {
                    state.voice = null;
                    renderAttachments();
                  },
                },
                icon('close'),
              ),
            )
          : null,
      );
    }

    async function useLocation() {
      replace(locateStatus, '正在定位……');
      try {
        state.point = await locate({ fresh: true });
        locateStatus.classList.add('is-ok');
        replace(locateStatus, '已定位' + (state.point.accuracy ? '（精度约' + state.point.accuracy + '米）' : ''));
        replace(locateBtn, icon('pin'), '重新定位');
        if (picker) {
          picker.pin.set(state.point.lon, state.point.lat);
          picker.handle.view(state.point.lon, state.point.lat, Math.max(picker.handle.map.getZoom(), 14));
          whereIs(state.point);
        }
      } catch (e) {
        state.point = null;
        locateStatus.classList.remove('is-ok');
        replace(locateStatus, e.message);
      }
    }

    // The pin is read in the map's own CRS (WGS84 like the stored polygons, or GCJ-02 over a GCJ-02 base
    // layer) and sent with it: the server takes it to WGS84 and routes it to the station under the pin.
    async function showPicker() {
      if (picker) return;
      pickerBox.hidden = false;
      pickerNote.hidden = false;
      replace(pickerNote, '正在加载地图……');
      try {
        const [config, areas] = await Promise.all([api.get('/map/config'), api.get('/map/areas')]);
        (areas.features || []).forEach((f) => {
          if (f.properties.kind === 'station') unitOf[f.properties.id] = f.properties.unit || f.properties.name + '派出所';
        });
        const handle = countyMap(pickerBox, { areas, config, labels: true });
        const located = state.point;
        const pin = pinPicker(handle, {
          lon: located ? located.lon : 0,
          lat: located ? located.lat : 0,
          at: located ? null : handle.map.getCenter(),
          onMove: (p) => {
            state.point = { lon: p.lon, lat: p.lat, crs: p.crs, accuracy: 0, pinned: true };
            locateStatus.classList.add('is-ok');
            replace(locateStatus, '已在地图上选点');
            whereIs(state.point);
          },
        });
        picker = { handle, pin };
        if (located) handle.view(located.lon, located.lat, 14);
        replace(pickerNote, '拖动红色图钉（或点击地图）选择事发位置');
        pickerBox.dataset.ready = 'true';
      } catch (e) {
        replace(pickerNote, '地图加载失败：' + e.message);
      }
    }

    async function whereIs(point) {
      const mine = ++lookupSeq;
      try {
        const [found] = await api.post('/areas/lookup', { crs: point.crs || 'wgs84', points: [{ lon: point.lon, lat: point.lat }] });
        if (mine !== lookupSeq) return;
        const unit = found && found.station_id ? unitOf[found.station_id] || found.station : null;
        replace(pickerNote, unit ? '所选位置属于：' + unit + '辖区' : '所选位置不在本县辖区内，将由情指中心分派');
        pickerNote.dataset.stationId = found && found.station_id ? String(found.station_id) : '';
      } catch (e) {
        if (mine === lookupSeq) replace(pickerNote, e.message);
      }
    }

    function showError(message, field) {
      replace(error, message || '');
      error.hidden = !message;
      error.dataset.field = (message && field) || '';
      if (field === 'text') text.focus();
      else if (field === 'address') address.focus();
      if (message) error.scrollIntoView({ block: 'center' });
    }

    async function send(e) {
      e.preventDefault();
      if (!state.category) {
        showError('请先选择类别');
        return;
      }
      if (!text.value.trim() && !state.voice) {
        showError('请填写诉求内容或录一段语音', 'text');
        return;
      }
      if (recording) await toggleRecording();
      showError('');
      const body = new FormData();
      body.append('category', state.category);
      if (state.topic) body.append('topic', state.topic);
      body.append('text', text.value.trim());
      if (state.point) {
        body.append('lon', String(state.point.lon));
        body.append('lat', String(state.point.lat));
        // The browser's own fix is GPS (WGS84); a pin dropped on a GCJ-02 base map is GCJ-02, and says so.
        body.append('crs', state.point.crs || 'wgs84');
      }
      if (address.value.trim()) body.append('address', address.value.trim());
      if (state.officer && state.category !== 'emergency') body.append('officer_id', state.officer);
      body.append('client_ref', state.ref);
      state.photos.forEach((p) => body.append('files', p.file, p.file.name || 'photo.jpg'));
      if (state.voice) body.append('files', state.voice.file, state.voice.file.name || 'voice.webm');
      await busy(
        submit,
        '正在提交……',
        async () => {
          const created = await api.upload('/desk/requests', body);
          toast(state.category === 'emergency' ? '已提交，紧急情况请同时拨打110' : '已提交，请留意民警答复', 'ok');
          navigate('/requests/' + created.id, null, true);
        },
        (err) => showError(err.message, err.field),
      );
    }

    return {
      destroy() {
        lookupSeq += 1;
        if (picker) picker.handle.destroy();
        if (recording) recording.cancel();
        urls.forEach((u) => URL.revokeObjectURL(u));
      },
    };
  },
};
