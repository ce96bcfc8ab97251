// Runs on the audio thread: plays the assistant's PCM16 24 kHz as it arrives, from a queue that
// the page can empty at once (barge-in), and reports how many samples have really been played.
class PcmPlayer extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = [];
    this.offset = 0;
    this.played = 0;
    this.port.onmessage = ({ data }) => {
      if (data.clear) { this.queue = []; this.offset = 0; this.played = 0; return; }
      const pcm = new Int16Array(data.pcm);
      const samples = new Float32Array(pcm.length);
      for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 32768;
      this.queue.push(samples);
    };
  }

  process(inputs, outputs) {
    const out = outputs[0][0];
    let i = 0;
    while (i < out.length && this.queue.length) {
      const head = this.queue[0];
      const n = Math.min(out.length - i, head.length - this.offset);
      out.set(head.subarray(this.offset, this.offset + n), i);
      i += n;
      this.offset += n;
      if (this.offset === head.length) { this.queue.shift(); this.offset = 0; }
    }
    out.fill(0, i);
    if (i) {
      this.played += i;
      this.port.postMessage({ played: this.played });
    }
    return true;
  }
}

registerProcessor("pcm-player", PcmPlayer);
